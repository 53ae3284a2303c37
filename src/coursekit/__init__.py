"""coursekit: tooling for the course (quiet TensorFlow import, grading, benchmarks).

Not part of the reference implementation: ``embref`` stays small enough to
read in one sitting, and everything that serves the book, the homework and
the instructors lives here.
"""
