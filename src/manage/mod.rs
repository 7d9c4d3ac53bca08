//! Workspace management commands' core: `add`/`remove`, `split`, `update`, `foreach`, `ci`, `check` and `migrate`.

pub mod check;
pub mod ci;
pub mod foreach;
pub mod membership;
pub mod migrate;
pub mod split;
pub mod update;
