//! M08xx: secrets, `${ENV}` references and auth settings of connections.
//!
//! Nothing here ever puts a secret's text into a diagnostic: messages say "a
//! literal value" and spans underline it, so a report pasted into a ticket or
//! a CI log does not leak the secret a second time.

use super::inner_span;
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_syntax::spec::{Auth, AuthFlow, Connection, ConnectionKind, Spanned, Spec, AUTH_KEYS};

/// Runs the rules; returns the spans of the literal secrets found (each
/// reported as M0801), which reports must not show.
pub fn run(spec: &Spec, diags: &mut Diagnostics) -> Vec<Span> {
    let mut secrets = Vec::new();
    for (name, c) in &spec.connections {
        references(&name.value, None, c, diags);
        literal_secrets(&name.value, None, c, diags, &mut secrets);
        required_settings(spec, name, c, diags);
        urls(
            &name.value,
            None,
            c.kind.as_ref().map(|k| k.value),
            c,
            diags,
        );
    }
    for (env, e) in &spec.environments {
        for (name, c) in &e.connections {
            references(&name.value, Some(&env.value), c, diags);
            literal_secrets(&name.value, Some(&env.value), c, diags, &mut secrets);
            auth_shape(&name.value, Some(&env.value), c.auth.as_ref(), diags);
            let kind = c.kind.as_ref().map(|k| k.value).or_else(|| {
                spec.connections
                    .iter()
                    .find(|(n, _)| n.value == name.value)
                    .and_then(|(_, base)| base.kind.as_ref().map(|k| k.value))
            });
            urls(&name.value, Some(&env.value), kind, c, diags);
        }
    }
    secrets
}

/// Reports a literal secret (M0801) and remembers its span for redaction.
fn secret(d: Diagnostic, diags: &mut Diagnostics, secrets: &mut Vec<Span>) {
    secrets.push(d.span);
    diags.push(d);
}

/// M0804: the service and sign-in URLs of an OData-speaking connection are
/// `https://` URLs (plain `http://` only to a loopback test server).
fn urls(
    conn: &str,
    env: Option<&str>,
    kind: Option<ConnectionKind>,
    c: &Connection,
    diags: &mut Diagnostics,
) {
    if !matches!(
        kind,
        Some(ConnectionKind::Dataverse | ConnectionKind::BusinessCentral | ConnectionKind::Odata)
    ) {
        return;
    }
    let auth = c.auth.as_ref();
    for (key, v) in [
        ("url", c.url.as_ref()),
        ("base_url", c.base_url.as_ref()),
        ("auth.authority", auth.and_then(|a| a.authority.as_ref())),
    ] {
        let Some(v) = v else { continue };
        let Some((label, fixed)) = url_problem(&v.value) else {
            continue;
        };
        let short = key.rsplit('.').next().unwrap_or(key);
        let help = match fixed {
            Some(f) => format!("write `{short}: {f}`"),
            None => {
                format!("write the full address, e.g. `{short}: https://contoso.crm4.dynamics.com`")
            }
        };
        diags.push(
            Diagnostic::new(
                Code::M0804,
                v.span,
                format!("`{key}` of {} is not an `https://` URL", place(conn, env)),
            )
            .label(label)
            .help(format!(
                "{help}; Dataverse, Business Central and Entra ID are reached over HTTPS only (plain `http://` is accepted for `localhost` and `127.0.0.1` test servers)"
            )),
        );
    }
}

/// What is wrong with a service URL, and its `https://` form when there is
/// one; `None` when it is fine or known only at run time (`${...}`).
fn url_problem(value: &str) -> Option<(&'static str, Option<String>)> {
    let v = value.trim();
    if v.is_empty() || v.starts_with("${") {
        return None;
    }
    let (scheme, rest) = match v.find("://") {
        Some(i) => (v[..i].to_ascii_lowercase(), &v[i + 3..]),
        None => (String::new(), v),
    };
    // Never repeat credentials (`user:password@`) in a message.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host_start = rest[..authority_end].rfind('@').map_or(0, |i| i + 1);
    let rest = &rest[host_start..];
    let host_missing = rest.is_empty() || rest.starts_with(['/', '?', '#', ':']);
    let fixed = (!host_missing).then(|| format!("https://{rest}"));
    match scheme.as_str() {
        "https" if host_missing => Some(("no host after `https://`", None)),
        "https" => None,
        "http" if is_loopback(&format!("http://{rest}")) => None,
        "http" => Some(("plain `http://` to a remote host", fixed)),
        "" => Some(("no `https://` scheme", fixed)),
        _ => Some(("not an `https://` URL", fixed)),
    }
}

/// True for setting keys that hold secrets (their text is never echoed).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "private_key",
        "api_key",
        "apikey",
        "token",
        "certificate",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// Every string setting of a connection, keyed as users write them
/// (`url`, `auth.client_secret`, ...).
pub fn string_settings(c: &Connection) -> Vec<(&'static str, &Spanned<String>)> {
    let auth = c.auth.as_ref().map(Auth::text_settings);
    c.text_settings()
        .into_iter()
        .chain(auth.into_iter().flatten())
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
}

/// A `${...}` reference found in a value.
#[derive(Debug, PartialEq, Eq)]
pub enum EnvRef<'a> {
    /// A well-formed `${NAME}`; offsets of `${` and one past `}`.
    Ok {
        name: &'a str,
        start: usize,
        end: usize,
    },
    /// `${` without a closing `}`.
    Unclosed { start: usize },
    /// `${}`.
    Empty { start: usize, end: usize },
    /// A name with characters outside `[A-Za-z_][A-Za-z0-9_]*`.
    Invalid {
        name: &'a str,
        start: usize,
        end: usize,
    },
}

pub fn is_env_name(name: &str) -> bool {
    let mut cs = name.chars();
    cs.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every `${...}` in `text`, in order.
pub fn env_refs(text: &str) -> Vec<EnvRef<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("${") {
        let start = from + i;
        let body = start + 2;
        // A reference ends at the first `}`; a new `${` before it means this one was never closed.
        let close = text[body..].find('}').map(|j| body + j);
        let reopen = text[body..].find("${").map(|j| body + j);
        match close {
            Some(c) if reopen.is_none_or(|r| r > c) => {
                let name = &text[body..c];
                let end = c + 1;
                out.push(if name.is_empty() {
                    EnvRef::Empty { start, end }
                } else if is_env_name(name) {
                    EnvRef::Ok { name, start, end }
                } else {
                    EnvRef::Invalid { name, start, end }
                });
                from = end;
            }
            _ => {
                out.push(EnvRef::Unclosed { start });
                from = body;
            }
        }
    }
    out
}

fn place(conn: &str, env: Option<&str>) -> String {
    match env {
        Some(e) => format!("connection `{conn}` in environment `{e}`"),
        None => format!("connection `{conn}`"),
    }
}

/// M0802: malformed `${...}` references anywhere in connection settings.
fn references(conn: &str, env: Option<&str>, c: &Connection, diags: &mut Diagnostics) {
    for (key, v) in string_settings(c) {
        let secret = is_secret_key(key);
        for r in env_refs(&v.value) {
            let (start, msg, label, help) = match r {
                EnvRef::Ok { .. } => continue,
                EnvRef::Unclosed { start } => (
                    start,
                    format!("`${{` in `{key}` of {} is never closed", place(conn, env)),
                    "unclosed `${`".to_string(),
                    "close the reference with `}`, e.g. `${MAPC_CLIENT_SECRET}`".to_string(),
                ),
                EnvRef::Empty { start, .. } => (
                    start,
                    format!("empty `${{}}` in `{key}` of {}", place(conn, env)),
                    "no variable name".to_string(),
                    "put the environment variable's name between the braces, e.g. `${MAPC_CLIENT_ID}`".to_string(),
                ),
                EnvRef::Invalid { name, start, .. } => {
                    let fixed: String = name
                        .trim()
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
                        .collect();
                    let fixed = if fixed.starts_with(|c: char| c.is_ascii_digit()) { format!("_{fixed}") } else { fixed };
                    let (msg, help) = if secret {
                        (
                            format!("invalid variable name in a `${{...}}` reference in `{key}` of {}", place(conn, env)),
                            "a variable name is letters, digits and `_`, not starting with a digit, e.g. `${MAPC_CLIENT_SECRET}`".to_string(),
                        )
                    } else if name.contains(":-") || name.contains(":=") || name.contains(":?") {
                        (
                            format!("`${{{name}}}` in `{key}` of {} uses shell default syntax", place(conn, env)),
                            "mapc references are plain `${NAME}`; set the variable in every environment that runs the spec".to_string(),
                        )
                    } else {
                        (
                            format!("`{name}` in `{key}` of {} is not a valid environment variable name", place(conn, env)),
                            format!("a variable name is letters, digits and `_`, not starting with a digit: `${{{fixed}}}`"),
                        )
                    };
                    (start, msg, "invalid variable name".to_string(), help)
                }
            };
            diags.push(
                Diagnostic::new(Code::M0802, inner_span(v, start, start + 2), msg)
                    .label(label)
                    .help(help),
            );
        }
    }
}

/// True when `text` is made only of well-formed `${NAME}` references.
fn only_references(text: &str) -> bool {
    let refs = env_refs(text);
    if refs.is_empty() || refs.iter().any(|r| !matches!(r, EnvRef::Ok { .. })) {
        return false;
    }
    let mut rest = String::new();
    let mut at = 0;
    for r in &refs {
        if let EnvRef::Ok { start, end, .. } = r {
            rest.push_str(&text[at..*start]);
            at = *end;
        }
    }
    rest.push_str(&text[at..]);
    rest.trim().is_empty()
}

/// M0801: secrets must come from `${ENV}`.
fn literal_secrets(
    conn: &str,
    env: Option<&str>,
    c: &Connection,
    diags: &mut Diagnostics,
    secrets: &mut Vec<Span>,
) {
    for (key, v) in string_settings(c) {
        if !is_secret_key(key) || v.value.trim().is_empty() {
            continue;
        }
        // A malformed reference is M0802; do not report the same value twice.
        if env_refs(&v.value)
            .iter()
            .any(|r| !matches!(r, EnvRef::Ok { .. }))
        {
            continue;
        }
        if only_references(&v.value) {
            continue;
        }
        let partly = !env_refs(&v.value).is_empty();
        secret(
            Diagnostic::new(
                Code::M0801,
                v.span,
                format!(
                    "`{key}` of {} is {}",
                    place(conn, env),
                    if partly { "partly a literal value" } else { "a literal value" }
                ),
            )
            .label("a literal value; secrets must come from `${ENV}`")
            .help("use `${MAPC_CLIENT_SECRET}` and set the variable at run time; a secret that was committed should be rotated"),
            diags,
            secrets,
        );
    }
    // Credentials inside a URL (`https://user:password@host`).
    for (key, v) in string_settings(c) {
        if !key.ends_with("url") && !key.ends_with("authority") && !key.ends_with("redirect_uri") {
            continue;
        }
        let Some(userinfo) = url_userinfo(&v.value) else {
            continue;
        };
        let Some(colon) = userinfo.find(':') else {
            continue;
        };
        let password = &userinfo[colon + 1..];
        if password.is_empty() || only_references(password) {
            continue;
        }
        let scheme_end = v.value.find("://").map(|i| i + 3).unwrap_or(0);
        let pstart = scheme_end + colon + 1;
        secret(
            Diagnostic::new(Code::M0801, inner_span(v, pstart, pstart + password.len()), format!("`{key}` of {} contains a literal password", place(conn, env)))
                .label("a literal value")
                .help("remove the credentials from the URL and authenticate with `auth:` (client secret from `${MAPC_CLIENT_SECRET}`, set at run time)"),
            diags,
            secrets,
        );
    }
}

/// An unknown key that probably holds a secret: a misspelled `client_secret`
/// (`client_secert`) or a key named like one (`password`, `pwd`, `api_key`).
fn secret_like_key(key: &str) -> bool {
    is_secret_key(key)
        || key.to_ascii_lowercase().contains("pwd")
        || mapc_diag::did_you_mean(key, ["client_secret"]).is_some()
}

/// M0801 for literal secrets under keys the reader did not know (M0202):
/// `client_secert: hunter2` is a secret in the file whatever the key is
/// called. The AST keeps the unknown keys of `auth` with their values.
pub(crate) fn unknown_key_secrets(spec: &Spec, diags: &mut Diagnostics, secrets: &mut Vec<Span>) {
    let conns = spec
        .connections
        .iter()
        .map(|(name, c)| (name, None, c))
        .chain(spec.environments.iter().flat_map(|(env, e)| {
            e.connections
                .iter()
                .map(move |(name, c)| (name, Some(env.value.as_str()), c))
        }));
    for (name, env, c) in conns {
        let Some(auth) = &c.auth else { continue };
        for u in &auth.unknown {
            let key = u.key.value.as_str();
            if AUTH_KEYS.contains(&key) || !secret_like_key(key) {
                continue;
            }
            let Some(value) = u.value.node.as_scalar().filter(|s| !s.is_null()) else {
                continue;
            };
            let text = value.text.trim();
            if text.is_empty() || only_references(text) {
                continue;
            }
            let known = match mapc_diag::did_you_mean(key, AUTH_KEYS.iter().copied()) {
                Some(k) => format!("`{k}: ${{MAPC_CLIENT_SECRET}}`"),
                None => "`client_secret: ${MAPC_CLIENT_SECRET}`".to_string(),
            };
            secret(
                Diagnostic::new(
                    Code::M0801,
                    u.value.node.span,
                    format!(
                        "`auth.{key}` of {} looks like a secret and is a literal value",
                        place(&name.value, env)
                    ),
                )
                .label("a literal value; secrets must come from `${ENV}`")
                .help(format!(
                    "`{key}` is not an auth setting (M0202), but its value is still in the file: write {known} and set the variable at run time; a secret that was committed should be rotated"
                )),
                diags,
                secrets,
            );
        }
    }
}

/// The `user:password` part of `scheme://user:password@host/...`.
fn url_userinfo(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(&authority[..at])
}

fn kind_name(k: ConnectionKind) -> &'static str {
    match k {
        ConnectionKind::Dataverse => "dataverse",
        ConnectionKind::BusinessCentral => "business_central",
        ConnectionKind::Odata => "odata",
        ConnectionKind::File => "file",
    }
}

fn flow_name(f: AuthFlow) -> &'static str {
    match f {
        AuthFlow::ClientCredentials => "client_credentials",
        AuthFlow::AuthorizationCode => "authorization_code",
        AuthFlow::DeviceCode => "device_code",
        AuthFlow::None => "none",
    }
}

/// The configurations a connection runs with: the base settings alone (when
/// no environment is the default) and the base with each environment's
/// overlay. A required setting must be present in every one of them.
fn missing_everywhere<'a>(
    spec: &'a Spec,
    conn: &str,
    base: bool,
    overlay: impl Fn(&'a Connection) -> bool,
) -> bool {
    if base {
        return false;
    }
    if spec.environments.is_empty() {
        return true;
    }
    let has_default = spec
        .environments
        .iter()
        .any(|(_, e)| e.default.as_ref().is_some_and(|d| d.value));
    if !has_default {
        return true;
    }
    !spec.environments.iter().all(|(_, e)| {
        e.connections
            .iter()
            .any(|(n, c)| n.value == conn && overlay(c))
    })
}

/// Reads one optional string setting of a connection or an auth block.
type Getter<T> = fn(&T) -> &Option<Spanned<String>>;

/// M0803: what each connection kind and auth flow cannot run without.
fn required_settings(spec: &Spec, name: &Spanned<String>, c: &Connection, diags: &mut Diagnostics) {
    let conn = name.value.as_str();
    let Some(kind) = &c.kind else { return };
    let given =
        |v: &Option<Spanned<String>>| v.as_ref().is_some_and(|v| !v.value.trim().is_empty());
    let needs: &[(&str, Getter<Connection>)] = match kind.value {
        ConnectionKind::Dataverse | ConnectionKind::Odata => &[("url", |c| &c.url)],
        ConnectionKind::BusinessCentral => &[
            ("tenant", |c| &c.tenant),
            ("environment", |c| &c.environment),
            ("company", |c| &c.company),
        ],
        ConnectionKind::File => &[],
    };
    for (key, get) in needs {
        if missing_everywhere(spec, conn, given(get(c)), |o| given(get(o))) {
            let example = match *key {
                "url" if kind.value == ConnectionKind::Dataverse => {
                    "`url: https://contoso.crm4.dynamics.com`"
                }
                "url" => "`url: https://host/service/`",
                "tenant" => "`tenant: ${BC_TENANT_ID}`",
                "environment" => "`environment: production`",
                _ => "`company: \"CRONUS USA, Inc.\"`",
            };
            diags.push(
                Diagnostic::new(
                    Code::M0803,
                    name.span,
                    format!(
                        "{} connection `{conn}` has no `{key}`",
                        kind_name(kind.value)
                    ),
                )
                .label(format!("`{key}` missing"))
                .related(kind.span, "the connection kind")
                .help(format!("add {example} to the connection")),
            );
        }
    }
    if kind.value == ConnectionKind::File {
        let has = |c: &Connection| given(&c.path) || given(&c.dir);
        if missing_everywhere(spec, conn, has(c), has) {
            diags.push(
                Diagnostic::new(Code::M0803, name.span, format!("file connection `{conn}` has neither `path` nor `dir`"))
                    .label("`path` or `dir` missing")
                    .related(kind.span, "the connection kind")
                    .help("add `path: out/records.ndjson` (one file) or `dir: out/` (one `{entity}.ndjson` per entity)"),
            );
        }
        return;
    }
    match &c.auth {
        Some(a) => {
            // The tenant may be given on a business_central connection itself.
            let conn_tenant = given(&c.tenant);
            auth_required(spec, conn, a, conn_tenant, diags);
            auth_shape(conn, None, Some(a), diags);
        }
        // Dataverse and Business Central always sign in with Entra ID; a
        // generic OData service without `auth` may well be anonymous.
        None if matches!(
            kind.value,
            ConnectionKind::Dataverse | ConnectionKind::BusinessCentral
        ) && missing_everywhere(spec, conn, false, |o| o.auth.is_some()) =>
        {
            let msg = format!(
                "{} connection `{conn}` has no `auth`",
                kind_name(kind.value)
            );
            diags.push(
                Diagnostic::new(Code::M0803, name.span, msg)
                    .label("`auth` missing")
                    .related(kind.span, "the connection kind")
                    .help(
                        "add `auth:` with `flow: client_credentials`, `tenant: ${AZURE_TENANT_ID}`, \
                         `client_id: ${MAPC_CLIENT_ID}` and `client_secret: ${MAPC_CLIENT_SECRET}`",
                    ),
            );
        }
        None => {}
    }
}

fn auth_required(spec: &Spec, conn: &str, a: &Auth, conn_tenant: bool, diags: &mut Diagnostics) {
    let Some(flow) = &a.flow else { return };
    let given =
        |v: &Option<Spanned<String>>| v.as_ref().is_some_and(|v| !v.value.trim().is_empty());
    let needs: &[(&str, Getter<Auth>)] = match flow.value {
        AuthFlow::ClientCredentials => &[
            ("tenant", |a| &a.tenant),
            ("client_id", |a| &a.client_id),
            ("client_secret", |a| &a.client_secret),
        ],
        AuthFlow::AuthorizationCode | AuthFlow::DeviceCode => &[("client_id", |a| &a.client_id)],
        AuthFlow::None => &[],
    };
    for (key, get) in needs {
        if *key == "tenant" && conn_tenant {
            continue;
        }
        let in_overlay = |o: &Connection| o.auth.as_ref().is_some_and(|oa| given(get(oa)));
        if !missing_everywhere(spec, conn, given(get(a)), in_overlay) {
            continue;
        }
        let example = match *key {
            "tenant" => "tenant: ${AZURE_TENANT_ID}",
            "client_id" => "client_id: ${MAPC_CLIENT_ID}",
            _ => "client_secret: ${MAPC_CLIENT_SECRET}",
        };
        let empty = get(a).is_some();
        diags.push(
            Diagnostic::new(
                Code::M0803,
                get(a).as_ref().map(|v| v.span).unwrap_or(flow.span),
                format!(
                    "`{}` auth of connection `{conn}` {} `{key}`",
                    flow_name(flow.value),
                    if empty { "has an empty" } else { "needs" }
                ),
            )
            .label(if empty {
                format!("empty `{key}`")
            } else {
                format!("`{key}` missing")
            })
            .help(format!(
                "add `{example}` to `auth` and set the variable at run time"
            )),
        );
    }
}

/// Loopback redirect URIs (any port, any path) are what a CLI can listen on.
fn is_loopback(uri: &str) -> bool {
    let Some(rest) = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
    else {
        return false;
    };
    let host_port = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        &v6[..v6.find(']').unwrap_or(v6.len())]
    } else {
        &host_port[..host_port.find(':').unwrap_or(host_port.len())]
    };
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}

/// M0803 settings that are wrong whatever the environment: a redirect URI a
/// command-line tool cannot receive.
fn auth_shape(conn: &str, env: Option<&str>, a: Option<&Auth>, diags: &mut Diagnostics) {
    let Some(a) = a else { return };
    let Some(r) = &a.redirect_uri else { return };
    if r.value.contains("${") || is_loopback(r.value.trim()) {
        return;
    }
    if a.flow
        .as_ref()
        .is_some_and(|f| f.value != AuthFlow::AuthorizationCode)
    {
        return;
    }
    let mut d = Diagnostic::new(
        Code::M0803,
        r.span,
        format!("`redirect_uri` of {} is not a loopback address", place(conn, env)),
    )
    .label("mapc can only receive the sign-in response on this machine")
    .help("use `http://localhost` (any port, e.g. `http://localhost:8400`) and register it as a redirect URI of the app, or leave `redirect_uri` out to use the default");
    if let Some(f) = &a.flow {
        d = d.related(f.span, "the sign-in flow");
    }
    diags.push(d);
}
