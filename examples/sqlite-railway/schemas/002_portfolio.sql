-- Point-in-time copies of a user's portfolio, as JSON text.
CREATE TABLE IF NOT EXISTS portfolio_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    snapshot_data TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users(email)
);

-- The dashboard lists a user's snapshots newest first.
CREATE INDEX IF NOT EXISTS idx_portfolio_snapshots_user_created
    ON portfolio_snapshots (user_id, created_at);
