//! The mapc engine: executes one mapping of a compiled spec (`mapc_ir::Program`)
//! over a stream of source records, for `preview`, `test` and `run`.
//!
//! # Use
//!
//! ```no_run
//! # fn demo(program: &mapc_ir::Program) -> std::io::Result<()> {
//! use mapc_connect::source;
//! use mapc_engine::{Compiled, Options, Outcome};
//! let as_of = jiff::civil::Date::constant(2026, 11, 22);
//! let engine = Compiled::new(program, 0, Options::new(as_of)).expect("a checked spec compiles");
//! let mut src = source::open(std::path::Path::new("records.ndjson"))?;
//! let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
//!     if let Outcome::Written { json, .. } = o { println!("{}", String::from_utf8_lossy(json)); }
//!     Ok(())
//! };
//! let summary = engine.run_parallel(&mut *src, &mut sink)?;
//! # let _ = summary; Ok(()) }
//! ```
//!
//! Every input record yields exactly one [`Outcome`], in input order:
//! `Written` (the target record as compact JSON bytes, plus warnings),
//! `Skipped` (a `skip` rule matched), `Filtered` (the source filter excluded
//! it) or `Rejected` (code, file, line, record index, key, where, message,
//! help). One bad record never stops the stream; only an I/O failure of the
//! input as a whole does.
//!
//! # Reports
//!
//! A rejection keeps its parts apart so that `mapc_output::report::rejection_line`
//! says each once, on one line: the input file and line, the record
//! (numbered from 1) and its key, where (the rule, `rule 3 `when``; or in
//! words, `price rule 2 of `salesprices`, field `endingdate``, `product line
//! 3 of `products`, field `sku``; or `field `revenue_k``), what went wrong,
//! and a `help:` when there is a useful fix. Everything people read counts
//! from 1: records, rules, price rules, product lines, items of a list, and
//! lines and columns of the input. The machine-readable
//! [`Rejection::field`] keeps JSON paths, whose list positions are 0-based
//! (`salesprices[1].endingdate`), and [`Outcome::Skipped::rule`] and
//! [`Warning::rule`] are 0-based indices into `rules:`.
//!
//! # How it is fast
//!
//! [`Compiled::new`] collects every source path the mapping reads (fields,
//! rules, filter, products, sales prices, companies, the key) into a
//! projection tree and gives each a slot. The record parser
//! ([`mapc_value::json::parse`]) then walks each record once, materializing only those
//! keys into slots and skipping everything else with a validating byte
//! scanner; strings without escapes are borrowed from the input, numbers go
//! straight from their text to exact decimals. Expressions are compiled to
//! slot reads, and output is serialized into a reused byte buffer in a key
//! order fixed at compile time. [`Compiled::run_parallel`] maps batches of
//! records on several threads and hands outcomes out in input order.
//! Memory is flat in the number of records (see *Companies* for the one
//! exception).
//!
//! # Semantics and policies
//!
//! * **Numbers** are exact decimals (`rust_decimal`, 96-bit mantissa, at most
//!   28 decimal places) from parsing to output; there is no binary floating
//!   point anywhere on the value path. Every number text, in records and in
//!   the spec, is read by the one reader `mapc_value::number`, so a value
//!   writes the same whatever its origin: digits and trailing zeros kept
//!   (`45.10` stays `45.10`), an exponent folded into the scale (`1.5e3` is
//!   `1500`), never an exponent in output, and trailing zeros beyond 28
//!   places dropped (`1.000…0` with 30 zeros is `1.0000000000000000000000000000`).
//!   A number that cannot be held exactly (e.g. 40 significant digits) is
//!   R0002 naming the field, but only when the mapping reads it.
//!   **Arithmetic never rounds** ([`exact`]): `+ - *` keep the scale
//!   (`3.00 * 3.3350` is `10.005000`) and a result that would need more
//!   digits than a decimal holds is R0022; a quotient is exact
//!   (`45.10 / 2` is `22.55`) or, when it does not end within 28 places
//!   (`1 / 3`), R0022, except as the first argument of `round`:
//!   `round(a / b, 2)` rounds the exact quotient once. `round(x, 2)` has
//!   exactly two places. Overflow and division by zero are R0011; `round`
//!   to more than 28 places is R0023.
//! * **Absent, null, empty string** stay apart: an absent path reads as null
//!   in expressions (null-safe), `default:` replaces null and absent but never
//!   `""`, `on_null` (`write` / `skip` / `error` = R0009) applies to null and
//!   absent. A nested target object all of whose keys were left out is left
//!   out itself.
//! * **Expressions and filters** share one evaluator ([`eval`]) with OData
//!   comparison rules (`null eq null`; `lt`/`gt` with null are false),
//!   three-valued `and`/`or`/`not`, and strings meeting numbers or dates
//!   parsed exactly (R0010 / R0003 when they cannot be). `half_up` rounds
//!   ties towards +infinity, `half_down` towards -infinity.
//! * **Order of work per record**: source filter, rules in order (`skip` ends
//!   the record; `warn` adds R0101; `error` rejects with R0008; `set` values
//!   are computed now and assigned after the fields, overriding them), fields,
//!   product lines, document amounts, sales prices, companies.
//! * **Target key order** is the order of the spec: fields first (nested
//!   objects at their first-written position), then `set`-rule targets that
//!   no field writes, then the products list, discount/tax/freight, the
//!   sales-price string and the relationship list.
//! * **Create or update** ([`Options::mode`], a [`WriteMode`]): by default
//!   every record is mapped as the create of its target record, and
//!   `sync: once` entries are written. [`WriteMode::Update`] shows what an
//!   update of an existing target record writes: every `sync: once` entry is
//!   left out, neither read nor written: fields, product line fields, the
//!   whole `products` list when `products.sync` is `once`, `discount`, `tax`
//!   and `freight` with `sync: once`, and a `set` rule whose target path a
//!   `once` field writes. **The target key is the exception**: a field that
//!   writes `target.key` (dotted; the key itself, an object holding it, or
//!   a part of an object key) is written in an update even when it is
//!   `once`, because the key is how the update finds its record (and how
//!   a reader tells updated records apart). `mapc preview --as-update`
//!   uses it; `mapc test` maps as a create. `target_to_source` fields are never written (nor
//!   read). `overwrite_template_products` only changes how `run` writes
//!   lines into an existing target record, so a preview does not show it;
//!   it is carried as [`Compiled::overwrite_template_products`].
//! * **Unseen paths** ([`reads`]): with [`Compiled::track_reads`] (the CLI
//!   turns it on when the source has no cached `$metadata`), a path the
//!   mapping reads that none of the records had, although the object
//!   holding it was there, is reported once after the run (R0104), with
//!   the closest key the records had.
//! * **Related records** are embedded under their alias (`customer: {...}`).
//!   A read of a related alias (a field, rule, filter or amount that reads
//!   `customer.x`) in a record without the `customer` key at all rejects it
//!   with R0004, naming the alias and the embedding expected; an explicit
//!   `"customer": null` is a lookup without a value and reads as null; a
//!   `customer` that is there but not an object (`"customer": "acc1"`, a
//!   number, a list) rejects it with R0010 naming the alias and what was
//!   found, rather than reading as null. The checks are made at the read: a
//!   record skipped before anything reads the alias is not rejected for it.
//! * **Products**: lines at `path` (absent or null = no lines; anything else
//!   but a list of objects is R0010), excluded SKUs dropped (exact,
//!   case-sensitive), stable sort by `order_by` with nulls last in both
//!   directions and ties in input order, then each line mapped by the product
//!   fields (including the implicit locked `quantity`/`price`). No lines give
//!   `[]`. Errors name the output line (`line_items[2].sku`) and the source
//!   line.
//! * **Sales prices**: rules at `path` in input order; with `sales_codes`,
//!   only rules whose `salescode` is listed: exactly, or else ignoring case
//!   and surrounding blanks (`y1004n `, `Y1004N ` match `Y1004N`), in which
//!   case the rule is written with the code as listed and warning R0107
//!   names the price rules (one warning per spelling); a rule
//!   with a null or absent `salescode` rejects the record (R0015); a blank
//!   code (Business Central's "All Customers") is a code that no list
//!   holds; with `exclude_expired`, rules whose `endingdate`
//!   (`YYYY-MM-DD`, or a date-time's UTC date) is before the as-of date are
//!   dropped, a null ending date never expires, an unreadable one is R0003.
//!   The date-typed price fields `startingdate` and `endingdate` are
//!   validated the same way in every transferred rule (R0003 naming the
//!   price rule and field, e.g. for `2026-02-30`) and written as
//!   `YYYY-MM-DD` (a date-time as its UTC date). Field text: strings as they
//!   are, numbers in shortest plain form (`45.10` -> `45.1`, `100.00` ->
//!   `100`, never an exponent), dates `YYYY-MM-DD`, null `""`. No remaining rule gives `""`; with
//!   `transfer_customer_price_groups: false` the key is not written at all.
//!   **Policy: a value that contains the field separator or the record
//!   delimiter rejects the record with R0012**, naming the price rule and
//!   field (`price rule 2 of `salesprices`, field `description``). The engine does not escape:
//!   the flattened format has no escape convention a receiver could rely on,
//!   so an escaped value would be misread there silently; a rejection is seen.
//! * **Companies**: the relationship list at `to` holds the `Parent Company`
//!   entry first (when `hierarchy` and the parent is found), then one
//!   `Person` entry per contact with an id, in input order; contacts whose id
//!   is null, absent or blank are left out with warning R0106 naming them
//!   (an id that is a list or object is R0010). Ids and numbers that are
//!   blank count as missing. Parents are looked up by `number_field` among every
//!   record read that passed the filter, skipped and rejected ones included.
//!   A parent number that companies with different ids share rejects the
//!   child with R0027 naming them (the same company read twice, same id, is
//!   not ambiguous). An unknown parent number is
//!   warning R0102 and no hierarchy entry; a company that is its own parent
//!   or in a parent cycle is rejected with R0013. Relationship ids join two
//!   ids with `|`, so a written company whose relationship id would contain
//!   an id with `|` (its own id when it has relationships, a contact's, its
//!   parent's) is rejected with R0028; a company without relationships is
//!   written whatever its id. A written company with relationships and no
//!   id is R0010 (checked when the record is written, not when it is
//!   skipped). With
//!   `create_in_prerequisite` the written records are ordered by the spec's
//!   algorithm (repeatedly the earliest remaining record whose parent is
//!   emitted already or is not emitted in this run); skips and rejections
//!   keep their input positions in the outcome stream. **Memory**: a
//!   companies mapping holds every record's output until the input ends,
//!   because the last record may be the parent of the first.
//! * **Target keys** ([`keys`]): when the mapping has a `target.key`, every
//!   written record must have a value there: absent, null or blank (or a
//!   composite key with such a part, or a list) rejects it with R0025. A key
//!   that an earlier written record of the input had rejects the record with
//!   R0026 naming that first record: the first wins (a streaming run has
//!   written it already). Decided in input order on the thread that hands
//!   out outcomes (for companies, before `create_in_prerequisite`
//!   reorders), so threads never change the result. Keys compare by text
//!   (`1`, `1.0` and `"1"` are one key; `"1.0"` is another; case and blanks
//!   count); composite keys member by member. Memory: a 128-bit hash and a
//!   position per written key (under 80 bytes), never the record.
//! * **Input** comes through the [`mapc_connect::source::Source`] trait; the
//!   file readers are in [`mapc_connect::source`]: NDJSON (blank lines are
//!   not records), `.json` (an array streamed element by element, a saved
//!   OData response as the records of its `value` array, or
//!   whitespace-separated values), CSV (header row = keys, dotted headers
//!   nest, an empty cell null, values text unless their column is typed:
//!   [`mapc_connect::source::CsvOptions`], given by
//!   [`Compiled::csv_options`]). Per-record errors: R0001 not an object,
//!   R0002 number out of range, R0005 invalid JSON (also in keys the
//!   mapping never reads; the position is the line and column in the input
//!   file; an array element cut off by the end of the file is one R0005),
//!   R0006 wrong CSV width, a stray or an unclosed quote (naming the
//!   record's key when the row has the key column), R0007 invalid UTF-8,
//!   R0014 a record over [`mapc_connect::source::MAX_RECORD_BYTES`]
//!   (64 MiB) or nested deeper than 128 levels, R0017 a CSV value not of
//!   its column's type, R0021 a key twice in an object the mapping reads.
//!   A CSV header without a column the mapping reads (R0018) or with an
//!   ambiguous delimiter (R0019) fails the input as a whole, as a
//!   [`mapc_connect::source::InputError`]; a reader's remarks on the whole
//!   input (R0103, a page of an OData response; a detected delimiter) are
//!   [`mapc_connect::source::Source::notes`]. A 10 MB string is an ordinary
//!   value. [`mapc_connect::source::open_with`] reads a file by its
//!   extension or a given [`mapc_connect::Format`], and `-` as standard
//!   input.
//! * **Numeric-looking text** (R0020): an ordering comparison or the
//!   product `order_by` sort of two texts that both read as numbers and
//!   order differently as text and as numbers rejects the record; an
//!   operand typed as text (a string literal, `to_string`, a `string`
//!   column) compares as text.
//! * **Tests** ([`testing`]): an `expect:` record is a partial match. Keys
//!   not given are not compared; objects are matched recursively by the
//!   keys given; lists must have the same length and each expected element
//!   is matched partially against the actual element at the same index
//!   (`items: [{sku: A, total: 2.01}]` ignores the item's other keys).
//!   Numbers compare by value, strings exactly, `null` only matches a
//!   present `null`. A mismatch names the innermost differing path
//!   (`items[1].total`).
//! * **Preview table** (`mapc preview --format table`, in `mapc-output`):
//!   one column per top-level key, aligned by display width (CJK counts two columns); non-strings as
//!   compact JSON; strings bare unless they would be misread (leading or
//!   trailing whitespace, control characters, or text that reads as
//!   `null`/`true`/`false`/a number/a list or object), which are
//!   JSON-quoted.

pub mod eval;
pub mod exec;
pub mod keys;
pub mod plan;
pub mod reads;
pub mod run;
pub mod testing;

pub use exec::{Scratch, Warning};
/// Exact arithmetic (moved to `mapc-value`, which the functions share).
pub use mapc_value::exact;
pub use mapc_value::Value;
pub use plan::{CompileError, Compiled, Options, WriteMode};
pub use run::{Outcome, Position, Rejection, Sink, Summary};
