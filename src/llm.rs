//! LLM help for `changes --llm` and `notes --llm` (SPEC §7).

pub mod redact;
