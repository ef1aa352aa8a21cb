"""The services keep their rooms: no module under ``app/services/`` takes a private name (``_x``)
from another module, their imports form no cycle, and a package's ``__init__.py`` holds nothing
but its docstring (STYLE.md: two modules that import each other's private names are one module
in disguise). Read from the source with ``ast``; lazy imports inside functions count too.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "app" / "services"


def module_name(path, root):
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name, root):
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports_of(path, root):
    """(module imported, names taken from it) for every import of the file, nested ones included."""
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), {alias.asname or alias.name.split(".")[0]: alias.name}
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names = tuple(alias.name for alias in node.names)
            bound = {alias.asname or alias.name: f"{target}.{alias.name}" for alias in node.names
                     if is_module(f"{target}.{alias.name}", root)}
            yield target, names, bound


def private_imports(folder, root):
    """Every private name a module under ``folder`` takes from another module, as readable lines."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        where = path.relative_to(root)
        modules = {}
        for target, names, bound in imports_of(path, root):
            found += [f"{where}: from {target} import {n}" for n in names if _private(n)]
            modules.update(bound)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in modules and _private(node.attr):
                found.append(f"{where}: {modules[node.value.id]}.{node.attr}")
    return found


def import_graph(folder, root):
    """Module -> the modules under ``folder`` it imports."""
    paths = sorted(folder.rglob("*.py"))
    nodes = {module_name(path, root) for path in paths}
    graph = {}
    for path in paths:
        edges = set()
        for target, names, _bound in imports_of(path, root):
            edges |= {m for m in (target, *(f"{target}.{n}" for n in names)) if m in nodes}
        graph[module_name(path, root)] = edges - {module_name(path, root)}
    return graph


def import_cycle(graph):
    """One cycle of the graph as a list of modules (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def logic_in_init(folder, root):
    """Package ``__init__.py`` files with anything but a docstring (re-exports hide where things live)."""
    found = []
    for path in sorted(folder.rglob("__init__.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        if body:
            found.append(str(path.relative_to(root)))
    return found


def test_no_service_module_imports_a_private_name():
    assert private_imports(SERVICES, ROOT) == []


def test_no_import_cycle_in_services():
    assert import_cycle(import_graph(SERVICES, ROOT)) is None


def test_service_packages_have_no_logic_in_init():
    assert logic_in_init(SERVICES, ROOT) == []


def test_the_certificate_use_cases_are_split_by_concern():
    graph = import_graph(SERVICES, ROOT)
    package = "app.services.certificates"
    assert {m for m in graph if m.startswith(package + ".")} == {
        f"{package}.{m}" for m in ("common", "labels", "events", "drafts", "confirmation", "sender",
                                   "followup", "corrections", "used_vehicles", "delegation",
                                   # cchecks: e-JIBAI, OBD検査, 放置違反金 and their hooks
                                   "jibai", "obd", "parking_fines", "prechecks",
                                   "signoff", "consents", "responsibility")}


def _tree(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / "app" / "services" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "app" / "services"


def test_the_checks_find_a_cycle_a_private_import_and_a_re_export(tmp_path):
    folder = _tree(tmp_path, {
        "__init__.py": "",
        "pkg/__init__.py": '"""Doc."""\nfrom app.services.pkg.a import run\n',
        "pkg/a.py": "from app.services.pkg.b import _helper\n\ndef run():\n    return _helper()\n",
        "pkg/b.py": "def _helper():\n    from . import a\n    return a\n",
        "c.py": "from app.services.pkg import b\n\nb._helper()\n",
    })
    assert private_imports(folder, tmp_path) == [
        "app/services/c.py: app.services.pkg.b._helper",
        "app/services/pkg/a.py: from app.services.pkg.b import _helper",
    ]
    cycle = import_cycle(import_graph(folder, tmp_path))
    assert cycle[0] == cycle[-1] and {"app.services.pkg.a", "app.services.pkg.b"} <= set(cycle)
    assert logic_in_init(folder, tmp_path) == ["app/services/pkg/__init__.py"]


def test_the_checks_pass_a_clean_tree(tmp_path):
    folder = _tree(tmp_path, {
        "__init__.py": "",
        "pkg/__init__.py": '"""Doc."""\n',
        "pkg/a.py": "from __future__ import annotations\n\nfrom app.services.pkg.b import helper\n",
        "pkg/b.py": "def helper():\n    return 1\n\ndef __getattr__(name):\n    return name\n",
        "c.py": "from app.services.pkg import b\n\nb.helper()\nb.__name__\n",
    })
    assert private_imports(folder, tmp_path) == []
    assert import_cycle(import_graph(folder, tmp_path)) is None
    assert logic_in_init(folder, tmp_path) == []
