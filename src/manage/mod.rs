//! Workspace management commands' core: `add`/`remove`, `update`, `foreach`, `ci` and `check`.

pub mod check;
pub mod ci;
pub mod foreach;
pub mod membership;
pub mod update;
