//! Splitting a large JSON array into its elements without loading the whole document.
//!
//! The splitter scans bytes, tracking string and nesting state, and returns the raw bytes of
//! each element of the first array it meets at the top level or directly under the top-level
//! object (the Graph API's `{"value": [...]}` page). Each element is then parsed on its own, so
//! memory is bounded by the largest element.

use std::io::{self, BufRead};

/// Iterator over the raw elements of a JSON array.
pub(crate) struct ArrayElements<R> {
    input: R,
    started: bool,
    finished: bool,
}

impl<R: BufRead> ArrayElements<R> {
    pub(crate) fn new(input: R) -> Self {
        Self {
            input,
            started: false,
            finished: false,
        }
    }

    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        let buf = self.input.fill_buf()?;
        let Some(&byte) = buf.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        Ok(Some(byte))
    }

    /// Moves past the opening bracket of the array, skipping an object prefix such as
    /// `{"@odata.context": "...", "value":`. Returns `false` when the input contains no array.
    fn find_array(&mut self) -> io::Result<bool> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        while let Some(byte) = self.next_byte()? {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'[' if depth <= 1 => return Ok(true),
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(false)
    }

    fn read_element(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut element = Vec::new();
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        while let Some(byte) = self.next_byte()? {
            if in_string {
                element.push(byte);
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b',' if depth == 0 => return Ok(Some(element)),
                b']' if depth == 0 => {
                    self.finished = true;
                    return Ok(Some(element));
                }
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
            element.push(byte);
        }
        self.finished = true;
        Ok(Some(element))
    }
}

impl<R: BufRead> Iterator for ArrayElements<R> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            self.started = true;
            match self.find_array() {
                Ok(true) => {}
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Err(error) => return Some(Err(error)),
            }
        }
        loop {
            if self.finished {
                return None;
            }
            match self.read_element() {
                Ok(Some(element)) if element.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(Some(element)) => return Some(Ok(element)),
                Ok(None) => return None,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        ArrayElements::new(text.as_bytes())
            .filter_map(Result::ok)
            .map(|e| String::from_utf8_lossy(&e).trim().to_owned())
            .collect()
    }

    #[test]
    fn top_level_array() {
        assert_eq!(
            split(r#"[{"a":"x,]"}, {"b":[1,2]} ,3]"#),
            vec![r#"{"a":"x,]"}"#, r#"{"b":[1,2]}"#, "3"]
        );
    }

    #[test]
    fn graph_value_page() {
        assert_eq!(split(r#"{"@odata.context":"u[r]l","value":[{"a":1}]}"#), vec![r#"{"a":1}"#]);
    }

    #[test]
    fn empty_and_missing() {
        assert!(split("[]").is_empty());
        assert!(split("{}").is_empty());
    }
}
