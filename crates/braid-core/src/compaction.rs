//! Compaction as data: the request that asks the model for a handoff summary, the history that replaces
//! the conversation afterwards, and the trimming that makes a too-long compaction request fit.
//!
//! A compacted history is, in order: the initial context (environment and AGENTS.md, the leading
//! developer messages), the most recent user messages verbatim within a budget, the handoff summary, and
//! the current plan. It holds no tool calls, so no call can be left without its output.

use braid_protocol::{Item, PlanItem, PlanStatus, Role};
use serde::{Deserialize, Serialize};

use crate::context::{cap_output, item_bytes};

/// The request appended to the conversation to ask for a handoff summary.
pub const COMPACT_PROMPT: &str = include_str!("prompts/compact.md");

const SUMMARY_OPEN: &str = "<handoff_summary>";
const SUMMARY_CLOSE: &str = "</handoff_summary>";
const PLAN_OPEN: &str = "<current_plan>";
const PLAN_CLOSE: &str = "</current_plan>";

/// The agent's plan as `update_plan` last set it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    pub items: Vec<PlanItem>,
}

/// The history that replaces the conversation, and how many user messages it kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
    pub items: Vec<Item>,
    pub kept_user_messages: usize,
}

/// Whether `item` is a handoff summary braid inserted.
pub fn is_summary(item: &Item) -> bool {
    matches!(item, Item::Message { role: Role::Developer, text } if text.starts_with(SUMMARY_OPEN))
}

fn is_plan(item: &Item) -> bool {
    matches!(item, Item::Message { role: Role::Developer, text } if text.starts_with(PLAN_OPEN))
}

/// How many items at the start of `history` are the initial context: the leading developer messages
/// that are not a summary or a plan braid inserted.
pub fn initial_context_len(history: &[Item]) -> usize {
    history
        .iter()
        .take_while(|item| {
            matches!(item, Item::Message { role: Role::Developer, .. }) && !is_summary(item) && !is_plan(item)
        })
        .count()
}

/// The message carrying a handoff summary into the compacted history.
pub fn summary_item(summary: &str) -> Item {
    Item::developer(format!(
        "{SUMMARY_OPEN}\nThe conversation before this point was compacted to fit the context window. The note \
         below is the handoff you wrote just before; the user messages above are quoted verbatim. Continue \
         the task from where the note leaves off; do not redo finished work, and check the files rather than \
         guess when the note is unclear.\n\n{}\n{SUMMARY_CLOSE}",
        summary.trim()
    ))
}

/// The message carrying the current plan into the compacted history.
pub fn plan_item(plan: &PlanState) -> Item {
    let mut text = format!("{PLAN_OPEN}\nYour plan (update it with update_plan as you go):\n");
    if let Some(explanation) = &plan.explanation {
        text.push_str(explanation.trim());
        text.push('\n');
    }
    for item in &plan.items {
        let mark = match item.status {
            PlanStatus::Completed => "[x]",
            PlanStatus::InProgress => "[>]",
            PlanStatus::Pending => "[ ]",
        };
        text.push_str(&format!("{mark} {}\n", item.step));
    }
    text.push_str(PLAN_CLOSE);
    Item::developer(text)
}

/// The history after compaction: the initial context of `history`, its most recent user messages
/// (newest first until `user_budget_bytes` is spent; the newest is always kept, cut in the middle if it
/// alone is over budget), the summary and the plan.
pub fn rebuild(history: &[Item], summary: &str, plan: Option<&PlanState>, user_budget_bytes: usize) -> Rebuilt {
    let initial = initial_context_len(history);
    let mut items: Vec<Item> = history[..initial].to_vec();
    let users: Vec<&String> = history[initial..]
        .iter()
        .filter_map(|item| match item {
            Item::Message { role: Role::User, text } => Some(text),
            _ => None,
        })
        .collect();
    let mut kept: Vec<String> = Vec::new();
    let mut spent = 0usize;
    for text in users.iter().rev() {
        if kept.is_empty() {
            let text = cap_output(text, user_budget_bytes, &Default::default());
            spent += text.len();
            kept.push(text);
        } else if spent + text.len() <= user_budget_bytes {
            spent += text.len();
            kept.push((*text).clone());
        } else {
            break;
        }
    }
    let kept_user_messages = kept.len();
    items.extend(kept.into_iter().rev().map(Item::user));
    items.push(summary_item(summary));
    if let Some(plan) = plan.filter(|p| !p.items.is_empty()) {
        items.push(plan_item(plan));
    }
    Rebuilt { items, kept_user_messages }
}

/// The conversation part of a compaction request: what may be dropped to make it fit, and what may not.
#[derive(Debug, Clone)]
pub struct CompactionInput {
    /// The initial context: never dropped.
    pub initial: Vec<Item>,
    /// Everything after it, oldest first; trimmed from the front.
    pub rest: Vec<Item>,
}

impl CompactionInput {
    /// Splits `history` into the initial context and the rest.
    pub fn new(history: &[Item]) -> CompactionInput {
        let initial = initial_context_len(history);
        CompactionInput { initial: history[..initial].to_vec(), rest: history[initial..].to_vec() }
    }

    /// The items to send: the history as it stands, then the request for a summary.
    pub fn items(&self) -> Vec<Item> {
        let mut items = self.initial.clone();
        items.extend(self.rest.iter().cloned());
        items.push(Item::user(COMPACT_PROMPT));
        items
    }

    /// Drops items from the front of the droppable part until at least `bytes` are gone (at least one
    /// item), keeping every tool call together with its output, earlier summaries (they carry what older
    /// compactions kept) and the newest user message (it is the task). Returns how many items went;
    /// zero means nothing more can be dropped.
    pub fn drop_oldest(&mut self, bytes: u64) -> usize {
        let newest_user = self.rest.iter().rposition(|item| matches!(item, Item::Message { role: Role::User, .. }));
        let mut freed = 0u64;
        let mut dropped = 0usize;
        let mut index = 0usize;
        let mut keep = vec![true; self.rest.len()];
        while index < self.rest.len() && (freed < bytes || dropped == 0) {
            let item = &self.rest[index];
            if Some(index) == newest_user || is_summary(item) || !keep[index] {
                index += 1;
                continue;
            }
            keep[index] = false;
            freed += item_bytes(item);
            dropped += 1;
            if let Item::ToolCall { call_id, .. } = item {
                let output = self
                    .rest
                    .iter()
                    .enumerate()
                    .skip(index + 1)
                    .find(|(_, later)| matches!(later, Item::ToolOutput { call_id: id, .. } if id == call_id));
                if let Some((position, later)) = output {
                    keep[position] = false;
                    freed += item_bytes(later);
                    dropped += 1;
                }
            }
            index += 1;
        }
        let mut flags = keep.into_iter();
        self.rest.retain(|_| flags.next().unwrap_or(true));
        dropped
    }

    /// How many droppable items remain.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str) -> Item {
        Item::ToolCall { call_id: id.into(), name: "shell".into(), arguments: "{}".into() }
    }

    fn output(id: &str) -> Item {
        Item::tool_output(id, "x".repeat(100), true)
    }

    fn history() -> Vec<Item> {
        vec![
            Item::developer("env"),
            Item::developer("<agents_md>rules</agents_md>"),
            Item::user("first task: keep the API stable"),
            call("c1"),
            output("c1"),
            Item::assistant("done with step one"),
            Item::user("second: also rename foo.rs"),
            call("c2"),
            output("c2"),
        ]
    }

    #[test]
    fn rebuilt_history_keeps_context_users_summary_and_plan() {
        let plan = PlanState {
            explanation: None,
            items: vec![
                PlanItem { step: "read".into(), status: PlanStatus::Completed },
                PlanItem { step: "rename".into(), status: PlanStatus::InProgress },
            ],
        };
        let rebuilt = rebuild(&history(), "SUMMARY", Some(&plan), 10_000);
        assert_eq!(rebuilt.kept_user_messages, 2);
        assert_eq!(
            &rebuilt.items[..4],
            &history()[..2]
                .iter()
                .cloned()
                .chain([Item::user("first task: keep the API stable"), Item::user("second: also rename foo.rs"),])
                .collect::<Vec<_>>()[..]
        );
        assert!(is_summary(&rebuilt.items[4]));
        let Item::Message { text, .. } = &rebuilt.items[5] else { panic!() };
        assert!(text.contains("[x] read\n[>] rename\n"), "{text}");
        assert!(!rebuilt.items.iter().any(|i| matches!(i, Item::ToolCall { .. } | Item::ToolOutput { .. })));
    }

    #[test]
    fn user_budget_keeps_the_newest_first_and_always_one() {
        let rebuilt = rebuild(&history(), "S", None, 30);
        assert_eq!(rebuilt.kept_user_messages, 1);
        assert_eq!(rebuilt.items[2], Item::user("second: also rename foo.rs"));
        let long = vec![Item::developer("env"), Item::user("y".repeat(5000))];
        let rebuilt = rebuild(&long, "S", None, 1000);
        let Item::Message { text, .. } = &rebuilt.items[1] else { panic!() };
        assert!(text.len() < 1400 && text.contains("braid left out"), "{}", text.len());
    }

    #[test]
    fn a_second_compaction_replaces_the_first_summary_and_plan() {
        let plan =
            PlanState { explanation: None, items: vec![PlanItem { step: "a".into(), status: PlanStatus::Pending }] };
        let first = rebuild(&history(), "ONE", Some(&plan), 10_000).items;
        assert_eq!(initial_context_len(&first), 2);
        let mut grown = first.clone();
        grown.push(Item::user("third"));
        let second = rebuild(&grown, "TWO", None, 10_000).items;
        let summaries: Vec<&Item> = second.iter().filter(|i| is_summary(i)).collect();
        assert_eq!(summaries.len(), 1);
        assert!(matches!(summaries[0], Item::Message { text, .. } if text.contains("TWO")));
        assert_eq!(second.iter().filter(|i| matches!(i, Item::Message { role: Role::User, .. })).count(), 3);
    }

    #[test]
    fn drop_oldest_keeps_pairs_summaries_and_the_newest_user_message() {
        let mut history = history();
        history.insert(2, summary_item("older facts"));
        let mut input = CompactionInput::new(&history);
        assert_eq!(input.initial.len(), 2);
        // The summary is skipped; the first user message goes first.
        assert_eq!(input.drop_oldest(1), 1);
        assert!(is_summary(&input.rest[0]));
        // A call takes its output with it.
        assert_eq!(input.drop_oldest(1), 2);
        assert_eq!(input.rest[1], Item::assistant("done with step one"));
        // Dropping a lot stops at what must stay.
        input.drop_oldest(u64::MAX);
        assert_eq!(input.rest, vec![summary_item("older facts"), Item::user("second: also rename foo.rs")]);
        assert_eq!(input.drop_oldest(u64::MAX), 0);
        let sent = input.items();
        assert_eq!(sent.last(), Some(&Item::user(COMPACT_PROMPT)));
        assert_eq!(sent.len(), 2 + 2 + 1);
    }
}
