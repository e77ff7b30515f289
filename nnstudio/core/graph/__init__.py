"""The graph model, its edit commands, validation and shape inference."""

from nnstudio.core.graph.check import CheckResult, GraphChecker, check_graph
from nnstudio.core.graph.model import Edge, Graph, GraphError, Node, OutputDecl
from nnstudio.core.graph.serialize import FormatError, graph_from_json
from nnstudio.core.graph.shapes import NodeShape, format_shape
from nnstudio.core.graph.validation import Issue

__all__ = [
    "CheckResult",
    "Edge",
    "FormatError",
    "Graph",
    "GraphChecker",
    "GraphError",
    "Issue",
    "Node",
    "NodeShape",
    "OutputDecl",
    "check_graph",
    "format_shape",
    "graph_from_json",
]
