"""Files in and out: raw export readers, the SAS transport (XPT) v5 format, atomic package folders."""
