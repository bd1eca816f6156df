//! Python-compatible primitives, shared by the checklist rules and the API's DRF messages.
//! Upstream is Python, and several observable results
//! (operator matches, accepted numeric strings, error texts, rounding) follow Python's
//! rules rather than JSON's; this module reproduces the few that matter, on
//! `serde_json::Value`s as decoded from the wire (Python's `json` module would give
//! the same values: objects keep their key order thanks to `preserve_order`).

use serde_json::Value;
use uuid::Uuid;

/// A JSON scalar as Python sees it in arithmetic: JSON booleans are ints (**QUIRK**
/// `True == 1`), JSON numbers without fraction or exponent are ints, the rest floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PyNumber {
    /// A Python `int` (or `bool`).
    Int(i128),
    /// A Python `float`.
    Float(f64),
}

impl PyNumber {
    /// The number behind a JSON value, or `None` for strings, lists, objects and null.
    pub fn of(value: &Value) -> Option<PyNumber> {
        match value {
            Value::Bool(b) => Some(PyNumber::Int(i128::from(*b))),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(PyNumber::Int(i128::from(i)))
                } else if let Some(u) = n.as_u64() {
                    Some(PyNumber::Int(i128::from(u)))
                } else {
                    n.as_f64().map(PyNumber::Float)
                }
            }
            _ => None,
        }
    }

    /// Python's `float(x)`.
    pub fn to_f64(self) -> f64 {
        match self {
            // Rounding to the nearest double is what Python's int → float does too.
            PyNumber::Int(i) => i as f64,
            PyNumber::Float(f) => f,
        }
    }
}

/// Python's `==` between an int and a float: exact, not through a lossy conversion.
fn int_eq_float(i: i128, f: f64) -> bool {
    // Every i128 we can meet (from i64/u64) is below 2^127, so a float outside that
    // range, or with a fraction, cannot be equal.
    f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38 && (f as i128) == i
}

/// Python's `==` on two JSON values (spec §4 "Equality"): lists by order and element,
/// objects by key set and values, strings never equal numbers, `1 == 1.0`, and
/// `true == 1`, `false == 0` (**QUIRK**).
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => match (PyNumber::of(a), PyNumber::of(b)) {
            (Some(PyNumber::Int(x)), Some(PyNumber::Int(y))) => x == y,
            (Some(PyNumber::Float(x)), Some(PyNumber::Float(y))) => x == y,
            (Some(PyNumber::Int(x)), Some(PyNumber::Float(y))) | (Some(PyNumber::Float(y)), Some(PyNumber::Int(x))) => {
                int_eq_float(x, y)
            }
            _ => false,
        },
    }
}

/// Python's truthiness of a JSON value: null, `false`, `0`, `0.0`, `""`, `[]` and `{}`
/// are false.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(_) => PyNumber::of(value).is_some_and(|n| n.to_f64() != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The Python type name of a decoded JSON value (`str`, `int`, `float`, `bool`, `list`,
/// `dict`, `NoneType`), as DRF prints it in "Expected a dictionary, but got str.".
pub fn py_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => match PyNumber::of(value) {
            Some(PyNumber::Int(_)) => "int",
            _ => "float",
        },
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `str.isspace` for one character: Unicode whitespace plus the ASCII
/// separators U+001C..U+001F, which Rust does not count as whitespace.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str(value)` of a decoded JSON value (spec §3.1 step 4): a top-level string
/// prints bare, everything else as its `repr`.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr` of a decoded JSON value: `None`, `True`, ints as digits, floats as
/// [`float_repr`], strings quoted, lists `[a, b]`, dicts `{'k': v}` in key order.
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(_) => match PyNumber::of(value) {
            Some(PyNumber::Int(i)) => out.push_str(&i.to_string()),
            Some(PyNumber::Float(f)) => out.push_str(&float_repr(f)),
            None => out.push_str(&value.to_string()),
        },
        Value::String(s) => out.push_str(&str_repr(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&str_repr(k));
                out.push_str(": ");
                write_repr(v, out);
            }
            out.push('}');
        }
    }
}

/// Approximates Python's `str.isprintable` for one character: control characters,
/// separators other than the space, and the common format characters are escaped.
/// (Unassigned code points, which Python also escapes, are printed as they are.)
fn is_py_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}'
        | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}' | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}' | '\u{e000}'..='\u{f8ff}')
}

/// Python's `repr` of a string: single quotes unless the text holds a `'` and no `"`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_py_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                if code < 0x100 {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: the shortest round-tripping digits, in positional notation
/// when the decimal exponent is in -4..16 and in scientific notation (`1e+16`,
/// `1.5e-05`) otherwise.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // `{:e}` gives the shortest round-trip digit count; printing again at that
    // precision picks, like Python, the closest such digits with exact ties to even
    // (Rust's shortest form may break such a tie the other way).
    let shortest = format!("{:e}", x.abs());
    let digit_count =
        shortest.split_once('e').map_or(shortest.as_str(), |(m, _)| m).chars().filter(char::is_ascii_digit).count();
    let sci = format!("{:.*e}", digit_count.saturating_sub(1), x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    // Python's `decpt`: the value is 0.DIGITS × 10^decpt.
    let decpt = exp + 1;
    let body = if !(-4 < decpt && decpt <= 16) {
        let (first, rest) = digits.split_at(1);
        let exp_sign = if exp < 0 { '-' } else { '+' };
        if rest.is_empty() {
            format!("{first}e{exp_sign}{:02}", exp.abs())
        } else {
            format!("{first}.{rest}e{exp_sign}{:02}", exp.abs())
        }
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat(decpt.unsigned_abs() as usize))
    } else {
        let point = decpt as usize;
        if point >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
}

/// Scans Python's `digitpart` (`digit (["_"] digit)*`) at the start of `s`; returns the
/// number of bytes consumed (0 when `s` does not start with a digit).
fn scan_digitpart(s: &[u8]) -> usize {
    let mut i = 0;
    if s.first().is_none_or(|c| !c.is_ascii_digit()) {
        return 0;
    }
    while i < s.len() {
        // A digit, or one underscore between two digits.
        let underscore_between_digits = s[i] == b'_' && i > 0 && s.get(i + 1).is_some_and(u8::is_ascii_digit);
        if s[i].is_ascii_digit() || underscore_between_digits {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Python's `float(s)` for a string: surrounding whitespace, a sign, `inf`,
/// `infinity` and `nan` in any case, underscores between digits, `.5`, `5.`, exponents.
/// `None` where Python raises `ValueError`.
pub fn parse_py_float(s: &str) -> Option<f64> {
    let t = py_strip(s);
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let special = match lower.as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if negative { -v } else { v });
    }
    let b = body.as_bytes();
    let int_len = scan_digitpart(b);
    let mut i = int_len;
    let mut frac_len = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_len = scan_digitpart(&b[i..]);
        i += frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let exp_len = scan_digitpart(&b[i..]);
        if exp_len == 0 {
            return None;
        }
        i += exp_len;
    }
    if i != b.len() {
        return None;
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    let v: f64 = cleaned.parse().ok()?;
    Some(if negative { -v } else { v })
}

/// Whether Python's `int(s)` accepts the string: surrounding whitespace, a sign, then
/// decimal digits with single underscores between them (`"2024"`, `" 12 "`, `"1_000"`).
pub fn is_py_int_str(s: &str) -> bool {
    let t = py_strip(s);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let b = body.as_bytes();
    let n = scan_digitpart(b);
    n > 0 && n == b.len()
}

/// Python's `round(x, 1)`: the exact binary value rounded to one decimal, exact
/// halves to even (`6.25` → `6.2`, while `0.45`, stored just above the half, → `0.5`).
pub fn round1(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Rust's fixed-precision formatting works on the exact binary value and breaks
    // exact ties to even, which is precisely Python's algorithm.
    format!("{x:.1}").parse().unwrap_or(x)
}

/// Python's `uuid.UUID(hex=s)`: `urn:` and `uuid:` removed anywhere, braces stripped
/// from the ends, hyphens removed, then exactly 32 characters read by `int(_, 16)`
/// (which tolerates whitespace, a sign, a `0x` prefix and underscores).
pub fn parse_py_uuid(s: &str) -> Option<Uuid> {
    let s = s.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if s.chars().count() != 32 {
        return None;
    }
    let t = py_strip(&s);
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (body, prefixed) = match body.get(..2) {
        Some("0x") | Some("0X") => (&body[2..], true),
        _ => (body, false),
    };
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut value: u128 = 0;
    let mut prev_digit = prefixed; // after `0x` an underscore may come first
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'_' {
            let next_is_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit);
            if !prev_digit || !next_is_digit {
                return None;
            }
            prev_digit = false;
            continue;
        }
        let d = char::from(c).to_digit(16)?;
        value = value.checked_mul(16)?.checked_add(u128::from(d))?;
        prev_digit = true;
    }
    // `UUID(int=...)` rejects negatives; `-0` is still zero.
    if negative && value != 0 {
        return None;
    }
    Some(Uuid::from_u128(value))
}

/// DRF's `UUIDField` input rule: a JSON string read by [`parse_py_uuid`], or a JSON
/// integer (booleans included, being Python ints) read as the 128-bit value.
pub fn parse_drf_uuid(value: &Value) -> Option<Uuid> {
    match value {
        Value::String(s) => parse_py_uuid(s),
        Value::Bool(_) | Value::Number(_) => match PyNumber::of(value)? {
            PyNumber::Int(i) => u128::try_from(i).ok().map(Uuid::from_u128),
            PyNumber::Float(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn py_eq_follows_python_equality() {
        let table = vec![
            (json!(1), json!(1.0), true),
            (json!(true), json!(1), true),
            (json!(false), json!(0), true),
            (json!(true), json!(1.0), true),
            (json!("1"), json!(1), false),
            (json!(["a", "b"]), json!(["a", "b"]), true),
            (json!(["a", "b"]), json!(["b", "a"]), false),
            (json!({"a": 1, "b": [2]}), json!({"b": [2.0], "a": true}), true),
            (json!({"a": 1}), json!({"a": 1, "b": 2}), false),
            (json!(null), json!(null), true),
            (json!(null), json!([]), false),
            (json!(0.5), json!(0), false),
            (json!(9007199254740993_i64), json!(9007199254740992.0), false),
        ];
        for (a, b, expected) in table {
            assert_eq!(py_eq(&a, &b), expected, "{a} == {b}");
            assert_eq!(py_eq(&b, &a), expected, "{b} == {a}");
        }
    }

    #[test]
    fn truthiness_matches_python() {
        let table = vec![
            (json!(null), false),
            (json!(false), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!([]), false),
            (json!({}), false),
            (json!(true), true),
            (json!(-1), true),
            (json!("x"), true),
            (json!(["x"]), true),
            (json!({"k": null}), true),
        ];
        for (v, expected) in table {
            assert_eq!(is_truthy(&v), expected, "{v}");
        }
    }

    #[test]
    fn str_of_values_prints_like_python() {
        let table = vec![
            (json!("abc"), "abc"),
            (json!(true), "True"),
            (json!(false), "False"),
            (json!(null), "None"),
            (json!(42), "42"),
            (json!(-7), "-7"),
            (json!(2024.5), "2024.5"),
            (json!(1e16), "1e+16"),
            (json!(1.5e16), "1.5e+16"),
            (json!(1e15), "1000000000000000.0"),
            // exactly …204.25: a tie between two shortest forms, broken to even
            (json!(-652375627381204.2), "-652375627381204.2"),
            (json!(0.0001), "0.0001"),
            (json!(0.00001), "1e-05"),
            (json!(5.0), "5.0"),
            (json!(-0.5), "-0.5"),
            (json!(["a", "b"]), "['a', 'b']"),
            (json!([1, 2.5, true, null]), "[1, 2.5, True, None]"),
            (json!({"name": "x.pdf", "content": "QQ=="}), "{'name': 'x.pdf', 'content': 'QQ=='}"),
            (json!(["it's"]), "[\"it's\"]"),
            (json!(["a'b\"c"]), "['a\\'b\"c']"),
            (json!(["line\nbreak\\"]), "['line\\nbreak\\\\']"),
            (json!(["\u{1}"]), "['\\x01']"),
            (json!(["é€"]), "['é€']"),
            (json!({}), "{}"),
            (json!([]), "[]"),
        ];
        for (v, expected) in table {
            assert_eq!(py_str(&v), expected, "{v}");
        }
    }

    #[test]
    fn python_type_names() {
        let table = vec![
            (json!("s"), "str"),
            (json!(1), "int"),
            (json!(1.5), "float"),
            (json!(true), "bool"),
            (json!([]), "list"),
            (json!({}), "dict"),
            (json!(null), "NoneType"),
        ];
        for (v, expected) in table {
            assert_eq!(py_type_name(&v), expected, "{v}");
        }
    }

    #[test]
    fn float_strings_parse_like_python_float() {
        let table: Vec<(&str, Option<f64>)> = vec![
            ("42", Some(42.0)),
            ("1e5", Some(1e5)),
            (" 7 ", Some(7.0)),
            ("-2.5", Some(-2.5)),
            ("+.5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1_000.5", Some(1000.5)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("12.5.3", None),
            ("twelve", None),
            ("not a number", None),
            ("", None),
            (".", None),
            ("1e", None),
            ("_1", None),
            ("1__0", None),
            ("1_", None),
            ("0x10", None),
        ];
        for (s, expected) in table {
            assert_eq!(parse_py_float(s), expected, "{s:?}");
        }
        assert!(parse_py_float("nan").is_some_and(f64::is_nan));
        assert!(parse_py_float(" NaN ").is_some_and(f64::is_nan));
    }

    #[test]
    fn int_strings_parse_like_python_int() {
        let table = vec![
            ("2024", true),
            (" 12 ", true),
            ("-3", true),
            ("+3", true),
            ("1_000", true),
            ("007", true),
            ("2024.0", false),
            ("1e3", false),
            ("", false),
            ("not a year", false),
            ("1_", false),
        ];
        for (s, expected) in table {
            assert_eq!(is_py_int_str(s), expected, "{s:?}");
        }
    }

    #[test]
    fn round1_uses_python_half_even_on_exact_values() {
        let table = vec![
            (6.25, 6.2),
            (0.25, 0.2),
            (0.35, 0.3),
            (0.45, 0.5),
            (100.0 / 3.0, 33.3),
            (200.0 / 3.0, 66.7),
            (100.0, 100.0),
            (0.0, 0.0),
        ];
        for (x, expected) in table {
            assert_eq!(round1(x), expected, "{x}");
        }
    }

    #[test]
    fn uuid_strings_parse_permissively_like_python() {
        let u = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let table = vec![
            ("12345678-9abc-def0-1234-56789abcdef0", Some(u)),
            ("123456789abcdef0123456789abcdef0", Some(u)),
            ("{12345678-9abc-def0-1234-56789abcdef0}", Some(u)),
            ("urn:uuid:12345678-9abc-def0-1234-56789abcdef0", Some(u)),
            ("123456789ABCDEF0123456789ABCDEF0", Some(u)),
            ("123456789abcdef0123456789abcdef", None),
            ("not-a-uuid", None),
            ("", None),
            ("g23456789abcdef0123456789abcdef0", None),
        ];
        for (s, expected) in table {
            assert_eq!(parse_py_uuid(s), expected, "{s:?}");
        }
    }

    #[test]
    fn drf_uuid_field_accepts_strings_and_integers() {
        let table = vec![
            (json!("00000000-0000-0000-0000-000000000005"), Some(Uuid::from_u128(5))),
            (json!(5), Some(Uuid::from_u128(5))),
            (json!(true), Some(Uuid::from_u128(1))),
            (json!(-1), None),
            (json!(5.0), None),
            (json!(["x"]), None),
            (json!({}), None),
        ];
        for (v, expected) in table {
            assert_eq!(parse_drf_uuid(&v), expected, "{v}");
        }
    }
}
