//! Python packaging: `pyproject.toml` reads and edits, PEP 440 versions, conventional commits and the `uv` wrapper.

pub mod conventional;
pub mod public_index;
pub mod pyproject;
pub mod uv;
pub mod uv_download;
pub mod version;
