"""Services: the only code that writes. Each is `<entity>_<action>(*, ...)` and runs in a transaction."""
