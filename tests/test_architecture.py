"""The layering of docs/architecture.md, checked: every import-linter contract is kept, and
no module of kam imports itself back through others."""

from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[1]

CONTRACTS = (
    "The analytics layer never imports Django or a kam app",
    "The layers depend one way: the CLI on top, analytics at the bottom",
)


@pytest.fixture(scope="module")
def report():
    configuration.configure()
    options = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
    use_cases._register_contract_types(options)  # what lint-imports does before its report
    return use_cases.create_report(options, cache_dir=None)


def test_every_contract_is_declared(report):
    declared = {contract.name for contract, _ in report.get_contracts_and_checks()}
    assert declared == set(CONTRACTS)


@pytest.mark.parametrize("name", CONTRACTS)
def test_contract_is_kept(report, name):
    checks = {contract.name: check for contract, check in report.get_contracts_and_checks()}
    assert name in checks, f"no contract named {name!r} in pyproject.toml"
    check = checks[name]
    assert check.kept, f"{name}: broken\n{check.metadata}"


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of modules in ``graph``: each is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_module_of_kam_imports_itself_back():
    graph = grimp.build_graph("kam", cache_dir=None)
    cycles = import_cycles(graph)
    chains = [
        " → ".join(
            (graph.find_shortest_chain(importer=group[0], imported=group[1]) or ())
            + (graph.find_shortest_chain(importer=group[1], imported=group[0]) or ())[1:]
        )
        for group in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(chains)


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b"]]
