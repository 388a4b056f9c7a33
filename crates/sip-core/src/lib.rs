//! Sans-IO SIP user agent core.
#![cfg_attr(not(test), warn(missing_docs))]
