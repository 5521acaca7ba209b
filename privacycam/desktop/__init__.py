"""Desktop integration: remembered settings and the tray icon."""
