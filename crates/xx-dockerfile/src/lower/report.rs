//! The line edits to the whole file and the report of what changed.

use super::*;

/// Line edits to the whole file, and the report.
#[derive(Default)]
pub(super) struct Plan {
    /// (first line, last line, new text) of replaced instructions; an
    /// insertion has last line = first line - 1.
    pub(super) edits: Vec<(usize, usize, String)>,
    pub(super) changes: Vec<ReportLine>,
    pub(super) notes: Vec<ReportLine>,
}

impl Plan {
    pub(super) fn replace(&mut self, first: usize, last: usize, text: String) {
        self.edits.push((first, last, text));
    }

    pub(super) fn insert_before(&mut self, line: usize, text: String) {
        self.edits.push((line, line - 1, text));
    }

    pub(super) fn change(&mut self, line: usize, text: String) {
        self.changes.push(ReportLine { line, text });
    }

    pub(super) fn note(&mut self, line: usize, text: String) {
        self.notes.push(ReportLine { line, text });
    }

    pub(super) fn apply(&mut self, lines: &[&str]) -> String {
        self.edits.sort_by_key(|(first, last, _)| (*first, *last));
        self.changes.sort_by_key(|line| line.line);
        let mut out = String::new();
        let mut next = 1;
        for (first, last, text) in &self.edits {
            while next < *first {
                out.push_str(lines[next - 1]);
                out.push('\n');
                next += 1;
            }
            out.push_str(text);
            next = next.max(last + 1);
        }
        while next <= lines.len() {
            out.push_str(lines[next - 1]);
            out.push('\n');
            next += 1;
        }
        out
    }
}
