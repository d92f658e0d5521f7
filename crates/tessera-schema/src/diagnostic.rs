//! Diagnostics: what is wrong, where (line:col and a caret snippet), and what to do about it.

use std::fmt;
use std::sync::Arc;

/// A byte range of the schema text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte; equal to `start` for a position between characters.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// From the start of `self` to the end of `other`.
    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end.max(self.start))
    }
}

/// Which stage rejected the schema; the API reports them as SpiceDB does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// The text does not form a schema, or a name, declaration or parameter is malformed
    /// (SpiceDB's compiler errors: `SCHEMA_PARSE_ERROR`).
    Parse,
    /// The schema is well formed but inconsistent: unknown or misused types, relations or
    /// caveats (SpiceDB's type-system errors: `SCHEMA_TYPE_ERROR`).
    Type,
}

/// One problem in a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    kind: DiagnosticKind,
    message: String,
    help: String,
    span: Span,
    line: u32,
    column: u32,
}

impl Diagnostic {
    pub(crate) fn parse(span: Span, message: String, help: impl Into<String>) -> Self {
        Self::new(DiagnosticKind::Parse, span, message, help.into())
    }

    pub(crate) fn semantic(span: Span, message: String, help: impl Into<String>) -> Self {
        Self::new(DiagnosticKind::Type, span, message, help.into())
    }

    fn new(kind: DiagnosticKind, span: Span, message: String, help: String) -> Self {
        Self {
            kind,
            message,
            help,
            span,
            line: 0,
            column: 0,
        }
    }

    /// Which stage rejected the schema.
    pub fn kind(&self) -> DiagnosticKind {
        self.kind
    }

    /// What is wrong, e.g. ``unknown relation `viewr` in `document` ``.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do about it.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The offending text.
    pub fn span(&self) -> Span {
        self.span
    }

    /// 1-based line of the start of [`Diagnostic::span`].
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column, in characters, of the start of [`Diagnostic::span`].
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for Diagnostic {
    /// `line:col: message`, the one-line form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every problem found in one schema text, in source order, with the text they point into.
///
/// `Display` renders them like rustc: message, `--> file:line:col`, the source line with
/// carets under the offending text, and a help line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    file_name: String,
    source: Arc<str>,
    diagnostics: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Positions every diagnostic in `source` and sorts them by position.
    pub(crate) fn new(file_name: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by_key(|d| d.span.start);
        diagnostics.dedup();
        let lines = LineIndex::new(source);
        for diagnostic in &mut diagnostics {
            let (line, column) = lines.position(source, diagnostic.span.start);
            diagnostic.line = line;
            diagnostic.column = column;
        }
        Self {
            file_name: file_name.to_owned(),
            source: Arc::from(source),
            diagnostics,
        }
    }

    /// The diagnostics, in source order; never empty.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.diagnostics.iter()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    /// Always `false`: a `Diagnostics` reports at least one problem.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The name the rendering uses for the schema text.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The kind of the first problem: what a single-error API reports.
    pub fn kind(&self) -> DiagnosticKind {
        self.diagnostics
            .first()
            .map_or(DiagnosticKind::Parse, Diagnostic::kind)
    }
}

impl std::error::Error for Diagnostics {}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// How many diagnostics `Display` shows; the rest are counted.
const MAX_RENDERED: usize = 50;

/// How much of a long source line the snippet shows on each side of the caret, in bytes.
const SNIPPET_CONTEXT: usize = 60;

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = LineIndex::new(&self.source);
        for (index, diagnostic) in self.diagnostics.iter().take(MAX_RENDERED).enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            render(f, &self.file_name, &self.source, &lines, diagnostic)?;
        }
        if let Some(hidden) = self
            .diagnostics
            .len()
            .checked_sub(MAX_RENDERED)
            .filter(|n| *n > 0)
        {
            writeln!(f, "\nerror: {hidden} more problems not shown")?;
        }
        Ok(())
    }
}

/// Rustc-style rendering of one diagnostic; every line ends with `\n`. Long lines are cut
/// to a window around the caret, marked with `...`.
fn render(
    f: &mut fmt::Formatter<'_>,
    file_name: &str,
    source: &str,
    lines: &LineIndex,
    diagnostic: &Diagnostic,
) -> fmt::Result {
    let line_number = diagnostic.line.to_string();
    let gutter = " ".repeat(line_number.len());
    let (line_start, line_end) = lines.bounds(source, diagnostic.span.start);
    let caret_start =
        floor_char_boundary(source, diagnostic.span.start.clamp(line_start, line_end));
    let caret_end = floor_char_boundary(source, diagnostic.span.end.clamp(caret_start, line_end));
    let window_start = floor_char_boundary(
        source,
        caret_start.saturating_sub(SNIPPET_CONTEXT).max(line_start),
    );
    let window_end = floor_char_boundary(source, (caret_end + SNIPPET_CONTEXT).min(line_end));
    let cut_left = if window_start > line_start { "..." } else { "" };
    let cut_right = if window_end < line_end { "..." } else { "" };
    let indent = cut_left.len() + display_width(&source[window_start..caret_start]);
    let carets = display_width(&source[caret_start..caret_end]).max(1);
    let shown = expand_tabs(&source[window_start..window_end]);

    writeln!(f, "error: {}", diagnostic.message)?;
    writeln!(
        f,
        "{gutter}--> {file_name}:{}:{}",
        diagnostic.line, diagnostic.column
    )?;
    writeln!(f, "{gutter} |")?;
    writeln!(
        f,
        "{line_number} | {}",
        format!("{cut_left}{shown}{cut_right}").trim_end()
    )?;
    writeln!(f, "{gutter} | {}{}", " ".repeat(indent), "^".repeat(carets))?;
    writeln!(f, "{gutter} = help: {}", diagnostic.help)
}

/// Tabs are shown as four spaces so carets line up whatever the terminal's tab stops.
fn expand_tabs(text: &str) -> String {
    text.replace('\t', "    ")
}

fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// Byte offsets of line starts, for turning offsets into line:column.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    /// Per line: whether it is ASCII, so a column is a byte difference (keeps positioning
    /// linear even for a huge schema written on one line).
    ascii: Vec<bool>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> Self {
        let mut starts = vec![0];
        let bytes = source.as_bytes();
        for (index, &byte) in bytes.iter().enumerate() {
            // `\r\n` is one line end; a lone `\r` is one too, as SpiceDB's lexer counts it.
            let ends_line =
                byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(index + 1);
            }
        }
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(line, &start)| {
                let end = starts.get(line + 1).copied().unwrap_or(bytes.len());
                bytes[start..end].is_ascii()
            })
            .collect();
        Self { starts, ascii }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// 1-based line and character column of `offset`.
    pub(crate) fn position(&self, source: &str, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(source, offset);
        let line = self.line_of(offset);
        let start = self.starts[line];
        let column = if self.ascii[line] {
            offset - start
        } else {
            source[start..offset].chars().count()
        };
        (saturate(line + 1), saturate(column + 1))
    }

    /// Byte range of the line holding `offset`, without its line end.
    fn bounds(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = self.line_of(offset.min(source.len()));
        let start = self.starts[line];
        let end = source[start..]
            .find(['\n', '\r'])
            .map_or(source.len(), |len| start + len);
        (start, end)
    }
}

/// The largest char boundary at or before `offset` (clamped to the text).
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The candidate closest to `name` by edit distance, if close enough to be a plausible typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let threshold = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|&(distance, _)| distance <= threshold)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// `help` text for an unknown name: a did-you-mean when a candidate is close.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: impl FnOnce() -> String,
) -> String {
    match suggest(name, candidates) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => otherwise(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_lines() {
        let source = "ab\ncdé\r\nfg";
        let lines = LineIndex::new(source);
        assert_eq!(lines.position(source, 0), (1, 1));
        assert_eq!(lines.position(source, 4), (2, 2));
        let g = source.find('g').unwrap();
        assert_eq!(lines.position(source, g), (3, 2));
        assert_eq!(lines.position(source, source.len()), (3, 3));
    }

    #[test]
    fn renders_like_rustc() {
        let source = "definition document {\n\tpermission view = viewr\n}\n";
        let start = source.find("viewr").unwrap();
        let diagnostics = Diagnostics::new(
            "schema.zed",
            source,
            vec![Diagnostic::semantic(
                Span::new(start, start + 5),
                "unknown relation `viewr`".to_owned(),
                "did you mean `viewer`?",
            )],
        );
        assert_eq!(
            diagnostics.to_string(),
            "error: unknown relation `viewr`\n --> schema.zed:2:20\n  |\n2 |     permission view = \
             viewr\n  |                       ^^^^^\n  = help: did you mean `viewer`?\n"
        );
    }

    #[test]
    fn suggestions_need_a_close_candidate() {
        assert_eq!(suggest("viewr", ["viewer", "owner"]), Some("viewer"));
        assert_eq!(suggest("xyz", ["viewer", "owner"]), None);
    }
}
