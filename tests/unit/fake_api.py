"""An in-memory API server for the steps' unit tests: get, list, create, update, delete."""

import copy


class FakeModule:
    """What a step uses of ConnectorModule, over a dict of objects; ``writes`` counts the writes."""

    check_mode = False

    def __init__(self, objects=(), **params):
        self.store = {}
        self.params = params
        self.writes = []
        self.warnings = []
        self.module = self
        self._diff = False
        for obj in objects:
            self.store[self._key(obj)] = copy.deepcopy(obj)

    @staticmethod
    def _key(obj):
        meta = obj["metadata"]
        return (obj["kind"], meta.get("namespace"), meta["name"])

    def warn(self, msg):
        self.warnings.append(msg)

    def get(self, api_version, kind, name, namespace=None):
        return copy.deepcopy(self.store.get((kind, namespace, name)))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        wanted = dict(part.split("=", 1) for part in label_selector.split(",")) if label_selector else {}
        return [copy.deepcopy(o) for (k, ns, _n), o in sorted(self.store.items())
                if k == kind and (namespace is None or ns == namespace)
                and all(((o["metadata"].get("labels") or {}).get(key) == value) for key, value in wanted.items())]

    def create(self, api_version, kind, body):
        body = dict(copy.deepcopy(body), kind=kind, apiVersion=api_version)
        assert self._key(body) not in self.store, "already exists"
        self.store[self._key(body)] = body
        self.writes.append(("create", self._key(body)))
        return copy.deepcopy(body)

    def delete(self, api_version, kind, name, namespace=None):
        self.writes.append(("delete", (kind, namespace, name)))
        return self.store.pop((kind, namespace, name), None) is not None

    def update(self, api_version, kind, name, namespace, mutate):
        live = self.get(api_version, kind, name, namespace)
        desired = mutate(copy.deepcopy(live))
        if desired is None or desired == live:
            return {"before": live, "after": live, "changed": False}
        self.store[(kind, namespace, name)] = copy.deepcopy(desired)
        self.writes.append(("update", (kind, namespace, name)))
        return {"before": live, "after": desired, "changed": True}
