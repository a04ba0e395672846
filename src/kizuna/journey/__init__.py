"""The success journey (C5): phases, steps with criteria, completions, phase history."""
