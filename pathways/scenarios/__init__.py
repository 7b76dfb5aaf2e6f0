"""Learner side of scenarios and adaptive practice: playing, practising a competency, growth."""
