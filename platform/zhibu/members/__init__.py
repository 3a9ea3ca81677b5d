"""Member registry: people, transfers, roster import and export."""
