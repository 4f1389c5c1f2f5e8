//! Positions, fills, realised and unrealised P&L, charges and exit rules.
