//! The result of checking a plan, and its two renderings: lines for people and JSON for programs.

use super::{Diagnostic, Severity};

/// Everything `check` found about one plan, sorted by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// A report of `diagnostics`, sorted by line (findings on one line keep their order).
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Report {
        diagnostics.sort_by_key(|diagnostic| diagnostic.line);
        Report { diagnostics }
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// Whether the plan passes: no errors, and with `strict` no warnings either.
    pub fn passed(&self, strict: bool) -> bool {
        self.errors().next().is_none() && (!strict || self.warnings().next().is_none())
    }

    /// One `label:line: severity[code]: message` line per finding, then a summary line
    /// (`label: 2 errors, 1 warning`), each ending in a newline.
    pub fn human(&self, label: &str) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&format!("{label}:{}: {}[{}]: {}\n", d.line, d.severity.as_str(), d.code, d.message));
        }
        let errors = self.errors().count();
        let warnings = self.warnings().count();
        out.push_str(&format!("{label}: {}, {}\n", plural(errors, "error"), plural(warnings, "warning")));
        out
    }

    /// `{"file", "ok", "errors", "warnings", "diagnostics": [{"line", "severity", "code", "message"}]}`, where
    /// `ok` means no errors.
    pub fn to_json(&self, label: &str) -> serde_json::Value {
        let diagnostics: Vec<serde_json::Value> = self
            .diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "line": d.line,
                    "severity": d.severity.as_str(),
                    "code": d.code,
                    "message": d.message,
                })
            })
            .collect();
        serde_json::json!({
            "file": label,
            "ok": self.passed(false),
            "errors": self.errors().count(),
            "warnings": self.warnings().count(),
            "diagnostics": diagnostics,
        })
    }
}

/// `1 error`, `2 errors`, `0 errors`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_lines_summary_and_json() {
        let report =
            Report::new(vec![Diagnostic::warning(9, "section-order", "w"), Diagnostic::error(3, "no-title", "e")]);
        assert_eq!(
            report.human("p.md"),
            "p.md:3: error[no-title]: e\np.md:9: warning[section-order]: w\np.md: 1 error, 1 warning\n"
        );
        assert!(!report.passed(false));
        let json = report.to_json("p.md");
        assert_eq!(json["ok"], false);
        assert_eq!(json["diagnostics"][1]["code"], "section-order");
        let clean = Report::default();
        assert_eq!(clean.human("p.md"), "p.md: 0 errors, 0 warnings\n");
        assert!(clean.passed(true));
    }
}
