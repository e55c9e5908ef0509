"""Pure rules: no Flask, no database session, no clock. Dates and actors are arguments."""
