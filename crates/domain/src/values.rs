//! Validated values that cross the boundary from forms, files and flags.
//!
//! Each type here can only hold a valid value: construction goes through `parse`, which returns
//! an error naming the field and what to do. Code that receives one of these types never checks
//! it again.

use std::fmt;

use serde::Serialize;

/// The error for a value that a form, file or flag supplied and that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// The field name as the user sees it, for example `email` or `start date`.
    pub field: &'static str,
    /// What is wrong and what to enter instead.
    pub message: String,
}

impl InvalidValue {
    /// Creates an error for `field` with a message that says what to enter.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// An e-mail address, trimmed and lowercased, with one `@` and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address entered in `field`.
    ///
    /// The check is deliberately shallow: it catches typing mistakes (no `@`, spaces, no dot in
    /// the domain), not every address RFC 5322 forbids, because nothing is sent to it yet.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let address = text.trim().to_lowercase();
        let invalid = || {
            InvalidValue::new(
                field,
                format!("{address:?} is not an e-mail address; enter one like name@example.org"),
            )
        };

        if address.is_empty() {
            return Err(InvalidValue::new(field, "is required; enter an e-mail address"));
        }
        if address.len() > 254 || address.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let Some((local, domain)) = address.split_once('@') else {
            return Err(invalid());
        };
        if local.is_empty() || domain.contains('@') || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid());
        }

        Ok(Self(address))
    }

    /// Returns the address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required single-line text such as a name or a title: trimmed, not empty, at most 200
/// characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Line(String);

impl Line {
    /// The maximum length in characters.
    pub const MAX_CHARS: usize = 200;

    /// Parses the text entered in `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let trimmed = text.trim();

        if trimmed.is_empty() {
            return Err(InvalidValue::new(field, "is required"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                field,
                format!("is longer than {} characters; shorten it", Self::MAX_CHARS),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                field,
                "contains a line break or control character; keep it on one line",
            ));
        }

        Ok(Self(trimmed.to_owned()))
    }

    /// Parses optional text: empty input gives `None`.
    pub fn parse_optional(field: &'static str, text: &str) -> Result<Option<Self>, InvalidValue> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(field, text).map(Some)
        }
    }

    /// Returns the text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the text, consuming the value.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A multi-line text such as a rationale or meeting notes: trimmed, at most 20,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// The maximum length in characters.
    pub const MAX_CHARS: usize = 20_000;

    /// Parses text that must not be empty.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let value = Self::parse_optional(field, text)?;
        value.ok_or_else(|| InvalidValue::new(field, "is required"))
    }

    /// Parses text that may be empty; empty input gives `None`.
    pub fn parse_optional(field: &'static str, text: &str) -> Result<Option<Self>, InvalidValue> {
        let trimmed = text.trim();

        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                field,
                format!("is longer than {} characters; shorten it", Self::MAX_CHARS),
            ));
        }

        Ok(Some(Self(trimmed.to_owned())))
    }

    /// Returns the text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the length rule.
///
/// The value is never printed: `Debug` shows a mask. Length, not composition, is the rule,
/// following NIST SP 800-63B, which asks for at least 8 characters and advises against
/// composition rules; Safeguard asks for 12 because these accounts guard compliance evidence.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// The minimum length in characters.
    pub const MIN_CHARS: usize = 12;
    /// The maximum length in characters; longer input is refused so hashing cost stays bounded.
    pub const MAX_CHARS: usize = 256;

    /// Parses the password entered in `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let length = text.chars().count();

        if length < Self::MIN_CHARS {
            return Err(InvalidValue::new(
                field,
                format!(
                    "must be at least {} characters; a passphrase of several words works well",
                    Self::MIN_CHARS
                ),
            ));
        }
        if length > Self::MAX_CHARS {
            return Err(InvalidValue::new(field, format!("must be at most {} characters", Self::MAX_CHARS)));
        }

        Ok(Self(text.to_owned()))
    }

    /// Returns the password for hashing. Callers must not log or store the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// Parses a calendar date in `YYYY-MM-DD` form entered in `field`.
pub fn parse_date(field: &'static str, text: &str) -> Result<jiff::civil::Date, InvalidValue> {
    let trimmed = text.trim();

    if trimmed.is_empty() {
        return Err(InvalidValue::new(field, "is required; enter a date as YYYY-MM-DD"));
    }

    trimmed
        .parse::<jiff::civil::Date>()
        .map_err(|_| InvalidValue::new(field, format!("{trimmed:?} is not a date; enter it as YYYY-MM-DD")))
}

/// Parses an optional calendar date: empty input gives `None`.
pub fn parse_optional_date(field: &'static str, text: &str) -> Result<Option<jiff::civil::Date>, InvalidValue> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, text).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = EmailAddress::parse("email", "  Dana.Reyes@Example.ORG ").unwrap();

        assert_eq!(email.as_str(), "dana.reyes@example.org");
    }

    #[test]
    fn email_rejects_common_mistakes() {
        for bad in [
            "",
            "dana",
            "dana@",
            "@example.org",
            "dana@example",
            "da na@example.org",
            "a@b@c.org",
            "dana@.org",
        ] {
            let error = EmailAddress::parse("email", bad).unwrap_err();
            assert_eq!(error.field, "email", "input {bad:?}");
        }
    }

    #[test]
    fn line_rejects_empty_long_and_multiline() {
        assert!(Line::parse("name", "   ").is_err());
        assert!(Line::parse("name", &"x".repeat(201)).is_err());
        assert!(Line::parse("name", "two\nlines").is_err());
        assert_eq!(Line::parse("name", " Ada ").unwrap().as_str(), "Ada");
    }

    #[test]
    fn optional_line_maps_blank_to_none() {
        assert_eq!(Line::parse_optional("title", "  ").unwrap(), None);
    }

    #[test]
    fn password_length_rule() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", "correct horse battery").is_ok());
        assert!(NewPassword::parse("password", &"p".repeat(257)).is_err());
    }

    #[test]
    fn password_debug_is_masked() {
        let password = NewPassword::parse("password", "correct horse battery").unwrap();

        assert_eq!(format!("{password:?}"), "NewPassword(***)");
    }

    #[test]
    fn date_errors_name_the_field() {
        let error = parse_date("start date", "12/01/2026").unwrap_err();

        assert_eq!(error.field, "start date");
        assert!(error.message.contains("YYYY-MM-DD"));
    }
}
