"""nbgrader configuration for the course (run nbgrader from the repository root).

solutions/<assignment>/<notebook>.ipynb is the hand-written source (solutions
and hidden tests); exercises/<assignment>/<notebook>.ipynb is the student
release that `make release` regenerates from it. Never edit exercises/ by hand.
"""

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# TensorFlow's first import in a kernel takes a few seconds; a whole notebook
# of tests must still finish well inside this.
c.ExecutePreprocessor.timeout = 300
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
