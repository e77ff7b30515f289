"""The graph model, its edit commands, validation and shape inference."""

from nnstudio.core.graph.check import CheckResult, GraphChecker, check_graph
from nnstudio.core.graph.model import (
    Edge,
    EditRefused,
    Graph,
    GraphError,
    InvalidParameter,
    Node,
    OutputDecl,
    UnknownLayerType,
    UnknownParameter,
)
from nnstudio.core.graph.serialize import FormatError, graph_from_json
from nnstudio.core.graph.shapes import NodeShape, format_shape
from nnstudio.core.graph.validation import Issue

__all__ = [
    "CheckResult",
    "EditRefused",
    "Edge",
    "FormatError",
    "Graph",
    "GraphChecker",
    "GraphError",
    "InvalidParameter",
    "Issue",
    "Node",
    "NodeShape",
    "OutputDecl",
    "UnknownLayerType",
    "UnknownParameter",
    "check_graph",
    "format_shape",
    "graph_from_json",
]
