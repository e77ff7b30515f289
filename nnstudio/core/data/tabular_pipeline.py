"""CSV sources as pipelines: features encoded once, in memory."""

from __future__ import annotations

from nnstudio.core.data import csv_source
from nnstudio.core.data.datasets import InMemorySource
from nnstudio.core.data.prepared import PreparedData


class TabularSource(InMemorySource):
    def build(self, batch_size: int, seed: int) -> PreparedData:
        loaded, config = self.loaded, self.config
        table, targets = loaded.table, loaded.targets
        assert table is not None and targets is not None
        y = targets.y
        val_targets = loaded.val_targets
        has_val = loaded.val_table is not None and val_targets is not None
        val = (None, val_targets.y) if has_val and val_targets is not None else None
        self._split(None, y, targets.task, val)
        tables = [table] + ([loaded.val_table] if loaded.val_table is not None else [])
        specs = csv_source.fit_features(
            tables, table, self.splits["train"].idx, config.categorical_encoding
        )
        x = csv_source.encode_features(table, specs)
        self.splits["train"].x = x
        self.splits["test"].x = x
        if has_val:
            assert loaded.val_table is not None
            self.splits["val"].x = csv_source.encode_features(loaded.val_table, specs)
        else:
            self.splits["val"].x = x
        names: list[str] = []
        for spec in specs:
            if spec.kind == "categorical" and spec.encoding == "onehot":
                names += [f"{spec.name}={v}" for v in spec.vocabulary or []]
            else:
                names.append(spec.name)
        preprocessing = {
            "type": "tabular",
            "features": [s.to_json() for s in specs],
            "input_names": names,
            "target_columns": targets.names,
            "task": targets.task,
            "class_names": targets.class_names,
            "class_values": targets.class_values,
            "categorical_encoding": config.categorical_encoding,
            "delimiter": table.dialect.delimiter,
            "encoding": table.encoding,
            "header": table.dialect.header,
        }
        return self._prepared(
            batch_size,
            seed,
            feature_shape=(int(x.shape[1]),),
            task=targets.task,
            class_names=targets.class_names,
            num_outputs=targets.num_outputs,
            preprocessing=preprocessing,
            cached=True,
        )
