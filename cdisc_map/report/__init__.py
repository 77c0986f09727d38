"""The outcomes report: a package's endpoints at a glance."""
