//! The expression function `round`.

use super::common::*;
use mapc_value::exact::{self, Mode};
use rust_decimal::RoundingStrategy;

pub struct Round;

impl Function for Round {
    const INFO: FuncInfo = FuncInfo {
        name: "round",
        aliases: &[],
        min_args: 1,
        max_args: 3,
        signature: "round(x: decimal, places: integer = 0, mode: string = 'half_away_from_zero') \
            -> decimal",
        doc: "Rounds exactly to `places` decimals (-28 to 28). Modes: half_away_from_zero \
            (default), half_even, half_up (towards +inf), half_down, up (away from zero), down \
            (truncate), floor, ceiling. `round(a / b, places)` rounds the exact quotient once; a \
            quotient that does not end within 28 places is an error (R0022) anywhere else.",
        examples: &[
            ("round(10.005, 2)", "10.01"),
            ("round(2 / 3, 2)", "0.67"),
            ("round(-1.005, 2)", "-1.01"),
            ("round(1234.565, 2)", "1234.57"),
            ("round(2.5)", "3"),
            ("round(2.345, 2, 'half_even')", "2.34"),
            ("round(2.349, 2, 'down')", "2.34"),
            ("round(null, 2)", "null"),
        ],
    };

    const ARGS: &'static [&'static [Type]] = &[NUM, INT, STR];

    fn result_type(_args: &[Type]) -> Type {
        Type::Decimal
    }

    fn check(call: &Call<'_>, diags: &mut Diagnostics) {
        if let Some((mode, ms)) = string_arg(call, 2) {
            if !ROUND_MODES.contains(&mode) {
                let help = match did_you_mean(mode, ROUND_MODES.iter().copied()) {
                    Some(m) => format!("did you mean '{m}'?"),
                    None => format!("use one of: {}", ROUND_MODES.join(", ")),
                };
                diags.push(
                    Diagnostic::new(Code::M0303, ms, format!("`{mode}` is not a rounding mode"))
                        .label("unknown mode")
                        .help(help),
                );
            }
        }
        let Some(p) = call.args.get(1) else { return };
        let Some(n) = const_number(p) else { return };
        // A fraction is M0503 (the places are an integer).
        if n.fract().is_zero() && n.abs() > Decimal::from(28) {
            diags.push(out_of_range(
                p.span,
                format!("`{}` to {n} places: an exact decimal has at most 28 decimal places", call.name),
                if n.is_sign_negative() {
                    "negative places round to tens, hundreds, ...; beyond -28 every value rounds to 0"
                } else {
                    "round to at most 28 places (money usually needs 2 to 4)"
                },
            ));
        }
    }

    fn eval<'a, A: Args<'a>>(args: &A) -> EResult<Value<'a>> {
        // `round(a / b, ...)` rounds the exact quotient once (a quotient
        // such as 2/3 never has to be rounded to 28 places first).
        if let Some(operands) = args.quotient(0) {
            let (l, r) = operands?;
            let places = (args.len() > 1).then(|| args.value(1)).transpose()?;
            let mode = (args.len() > 2).then(|| args.value(2)).transpose()?;
            let (Some(x), Some(y)) = (num_arg(&l, "/")?, num_arg(&r, "/")?) else {
                return Ok(Value::Null);
            };
            let Some((places, mode)) = options(places.as_ref(), mode.as_ref())? else {
                return Ok(Value::Null);
            };
            if y.is_zero() {
                return Err(exact::div_by_zero(x, "/"));
            }
            return exact::round_quotient(x, y, places, mode)
                .map(Value::Num)
                .map_err(|e| exact::inexact(e, &format!("round({x} / {y}, {places})"), false));
        }
        args.values(|v| {
            let Some(x) = num_arg(arg(v, 0), Self::INFO.name)? else {
                return Ok(Value::Null);
            };
            let Some((places, mode)) = options(v.get(1), v.get(2))? else {
                return Ok(Value::Null);
            };
            round(x, places, mode).map(Value::Num)
        })
    }
}

/// Rounding modes `round(x, n, mode)` accepts.
pub const ROUND_MODES: &[&str] = &[
    "half_away_from_zero",
    "half_even",
    "half_up",
    "half_down",
    "up",
    "down",
    "floor",
    "ceiling",
];

/// `round`'s places and mode arguments (defaults 0 and
/// `half_away_from_zero`); `None` when one of them is null.
fn options(places: Option<&Value>, mode: Option<&Value>) -> EResult<Option<(i64, Mode)>> {
    let places = match places {
        Some(v) => match int_arg(v, "round")? {
            Some(p) => p,
            None => return Ok(None),
        },
        None => 0,
    };
    let mode = match mode {
        Some(v) => match text_arg(v, "round")? {
            Some(m) => mode_of(&m)?,
            None => Mode::HalfAwayFromZero,
        },
        None => Mode::HalfAwayFromZero,
    };
    if places > 28 {
        return Err(EvalError::new(
            Code::R0023,
            format!("`round`: {places} places is more than the 28 an exact decimal holds"),
        )
        .help("round to at most 28 places"));
    }
    Ok(Some((places, mode)))
}

fn mode_of(m: &str) -> EResult<Mode> {
    Mode::parse(m).ok_or_else(|| EvalError::new(
        Code::R0010,
        format!(
            "unknown rounding mode '{m}' (use half_away_from_zero, half_even, half_up, half_down, up, down, floor or ceiling)"
        ),
    ))
}

/// `round(x, places, mode)`: exact, with the result carrying exactly
/// `places` decimals (`round(2.5, 2)` is `2.50`); negative places round to
/// tens, hundreds, ... `half_up` sends ties towards +infinity and,
/// symmetrically, `half_down` sends them towards -infinity. More than 28
/// places is R0023.
pub fn round(x: Decimal, places: i64, mode: Mode) -> EResult<Decimal> {
    use RoundingStrategy as S;
    let neg = x.is_sign_negative();
    let strategy = match mode {
        Mode::HalfAwayFromZero => S::MidpointAwayFromZero,
        Mode::HalfEven => S::MidpointNearestEven,
        Mode::HalfUp if neg => S::MidpointTowardZero,
        Mode::HalfUp => S::MidpointAwayFromZero,
        Mode::HalfDown if neg => S::MidpointAwayFromZero,
        Mode::HalfDown => S::MidpointTowardZero,
        Mode::Up => S::AwayFromZero,
        Mode::Down => S::ToZero,
        Mode::Floor => S::ToNegativeInfinity,
        Mode::Ceiling => S::ToPositiveInfinity,
    };
    if places > 28 {
        return Err(EvalError::new(
            Code::R0023,
            format!("`round`: {places} places is more than the 28 an exact decimal holds"),
        ));
    }
    if places >= 0 {
        let p = places as u32;
        let mut r = x.round_dp_with_strategy(p, strategy);
        if r.scale() < p {
            r.rescale(p);
        }
        return Ok(r);
    }
    let k = (-places).min(29) as u32;
    // x / 10^k exactly (shift the scale), round to a whole number, scale back.
    let mut shifted = x;
    let new_scale = x.scale() + k;
    if new_scale > 28 {
        return Ok(Decimal::ZERO);
    }
    shifted
        .set_scale(new_scale)
        .map_err(|_| EvalError::new(Code::R0011, "rounding overflow"))?;
    let whole = shifted.round_dp_with_strategy(0, strategy);
    let factor = Decimal::try_from_i128_with_scale(10i128.pow(k), 0)
        .map_err(|_| EvalError::new(Code::R0011, "rounding overflow"))?;
    whole
        .checked_mul(factor)
        .map(|d| d.round_dp(0))
        .ok_or_else(|| EvalError::new(Code::R0011, format!("arithmetic overflow rounding {x}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapc_value::number::{decimal_text, parse_decimal};

    fn d(s: &str) -> Decimal {
        parse_decimal(s.as_bytes(), false).unwrap()
    }

    #[test]
    fn rounding_modes() {
        let r = |x: &str, p: i64, m: &str| {
            decimal_text(&round(d(x), p, Mode::parse(m).unwrap()).unwrap())
        };
        assert_eq!(r("10.005", 2, "half_away_from_zero"), "10.01");
        assert_eq!(r("-1.005", 2, "half_away_from_zero"), "-1.01");
        assert_eq!(r("2.5", 2, "half_away_from_zero"), "2.50");
        assert_eq!(r("2.345", 2, "half_even"), "2.34");
        assert_eq!(r("2.355", 2, "half_even"), "2.36");
        assert_eq!(r("-2.5", 0, "half_up"), "-2");
        assert_eq!(r("2.5", 0, "half_up"), "3");
        assert_eq!(r("-2.5", 0, "half_down"), "-3");
        assert_eq!(r("2.5", 0, "half_down"), "2");
        assert_eq!(r("2.341", 2, "up"), "2.35");
        assert_eq!(r("-2.341", 2, "up"), "-2.35");
        assert_eq!(r("2.349", 2, "down"), "2.34");
        assert_eq!(r("-2.341", 2, "floor"), "-2.35");
        assert_eq!(r("2.341", 2, "ceiling"), "2.35");
        assert_eq!(r("1234.5", -2, "half_away_from_zero"), "1200");
        assert_eq!(r("1250", -2, "half_even"), "1200");
        assert_eq!(r("1250", -2, "half_away_from_zero"), "1300");
        assert!(Mode::parse("bankers").is_none());
        assert_eq!(
            round(d("1"), 29, Mode::Down).map_err(|e| e.code),
            Err(Code::R0023)
        );
    }
}
