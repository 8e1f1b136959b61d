"""stormsim's figures and reports (Debian's python3-matplotlib and numpy only)."""
