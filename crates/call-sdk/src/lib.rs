//! K-Link call SDK engine.
