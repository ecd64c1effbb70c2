"""Pure logic: no `js`, no `pyscript`. Runs the same under CPython (tests) and Pyodide."""
