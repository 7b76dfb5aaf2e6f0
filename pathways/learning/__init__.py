"""The learner's side of pathways: next step, diagnostic, module pages, electives, history."""
