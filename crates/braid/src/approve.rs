//! Approval questions at the terminal: when `braid exec` runs with a person at the keyboard (stdin and
//! stderr are terminals and no JSON is asked for), each question is answered there instead of by
//! `approval_default`.

use std::io::{BufRead, IsTerminal, Write};

use braid_core::approval::Approver;
use braid_protocol::{ApprovalDecision, ApprovalRequest, DecidedBy};
use futures::future::BoxFuture;

/// Asks on stderr and reads the answer from stdin. The question itself (command, reason, scope) is
/// already on screen: the progress printer shows the `ApprovalRequested` event just before.
#[derive(Debug)]
pub struct TerminalApprover {
    /// The answer when stdin ends before one is given.
    pub fallback: ApprovalDecision,
}

impl TerminalApprover {
    /// Whether a person can be asked: stdin and stderr are both terminals.
    pub fn available() -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }
}

impl Approver for TerminalApprover {
    fn decide<'a>(&'a self, _request: &'a ApprovalRequest) -> BoxFuture<'a, (ApprovalDecision, DecidedBy)> {
        let fallback = self.fallback;
        let (send, answer) = futures::channel::oneshot::channel();
        // Reading stdin blocks, so it happens on a plain thread of its own: not on the runtime, which it
        // would stall, and not in the runtime's blocking pool either, whose shutdown waits for every task
        // and would keep braid alive after a Ctrl-C until someone pressed Enter. If the turn is
        // interrupted, the session stops waiting and the thread dies with the process.
        let spawned = std::thread::Builder::new().name("approval-prompt".into()).spawn(move || {
            let _ = send.send(ask(fallback));
        });
        Box::pin(async move {
            match spawned {
                Ok(_) => answer.await.unwrap_or((fallback, DecidedBy::Default)),
                Err(_) => (fallback, DecidedBy::Default),
            }
        })
    }
}

/// Prompts until the answer is one of the four, or stdin ends (then `fallback` answers).
fn ask(fallback: ApprovalDecision) -> (ApprovalDecision, DecidedBy) {
    let stdin = std::io::stdin();
    loop {
        {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "  [y] approve once  [s] approve for the session  [n] deny  [a] abort the turn > ");
            let _ = stderr.flush();
        }
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return (fallback, DecidedBy::Default),
            Ok(_) => {}
        }
        if let Some(decision) = parse_answer(&line) {
            return (decision, DecidedBy::User);
        }
    }
}

/// The decision a typed answer names, if it names one.
fn parse_answer(line: &str) -> Option<ApprovalDecision> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(ApprovalDecision::Approve),
        "s" | "session" => Some(ApprovalDecision::ApproveForSession),
        "n" | "no" => Some(ApprovalDecision::Deny),
        "a" | "abort" => Some(ApprovalDecision::Abort),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(parse_answer("y\n"), Some(ApprovalDecision::Approve));
        assert_eq!(parse_answer(" S "), Some(ApprovalDecision::ApproveForSession));
        assert_eq!(parse_answer("no"), Some(ApprovalDecision::Deny));
        assert_eq!(parse_answer("a"), Some(ApprovalDecision::Abort));
        assert_eq!(parse_answer(""), None, "an empty line asks again rather than guessing");
        assert_eq!(parse_answer("maybe"), None);
    }
}
