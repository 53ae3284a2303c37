"""The grading engine: student code runs in a sandbox, every verdict is decided outside it.

Trust model, in a few lines:

* The student's notebook runs in a sandboxed Jupyter kernel (:mod:`.sandbox`,
  bubblewrap): no network, no course files, no reference package, resource
  limits. Nothing that runs there is trusted, including the grader's own agent
  (:mod:`.agent`), which the student's code can patch or replace.
* Test cells run in the grader's process (:mod:`.judge`), next to the
  reference and the expected values, which never enter the sandbox. The
  student's names reach them as proxies (:mod:`.remote`): a call sends plain
  data in (:mod:`.wire`, JSON, never pickle) and brings plain data out.
* What comes back may decide a verdict only as a value the test compares
  with its own expectation; facts about the call itself (an input array left
  unchanged, memory used) are read by the grader from memory it shares with
  or measures on the sandboxed process, never taken from a reply.
* Each test cell is judged at its place in the notebook, in the state that
  Restart & Run All gives there. What the student sees (outputs, visible
  messages) comes from a run without hidden tests; hidden tests only add a
  fixed-wording verdict, and every size that crosses the boundary is bounded.

Modules: :mod:`.plan` (roles of the source's cells), :mod:`.judge` (one
notebook), :mod:`.runner` (the kernel of one run, replayed when it dies),
:mod:`.kernel` (one sandboxed kernel), :mod:`.messages` (what the student is
told), :mod:`.plugins` (nbgrader plug-ins), :mod:`.parallel` (Dask),
:mod:`.course` / :mod:`.coordinator` / :mod:`.report` / :mod:`.cli` (a course and
a class).
"""
