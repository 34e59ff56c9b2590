#!/usr/bin/python3
"""Validates policyc's Kubernetes objects against the published schemas in tests/data/schemas.

  k8s_validate.py crd  OBJECT.yaml CRD.yaml     a custom resource against its CRD's openAPIV3Schema
  k8s_validate.py json OBJECT.yaml SCHEMA.json  an object against a JSON schema (the Pod's)
  k8s_validate.py oci-seccomp FILE.json DIR     a linux.seccomp object inside a minimal OCI config,
                                                against DIR/config-schema.json

The API server goes further than a JSON schema validator: it prunes fields a structural schema
does not name (here: an error, as an object must not lose a field silently), reads int32/int64
formats as ranges, keeps x-kubernetes-list-type: set lists unique and wants DNS names. Those are
checked too. Exit 0 when valid; else every error on stderr and exit 1.
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def format_checker():
    checker = jsonschema.FormatChecker()

    @checker.checks("int32")
    def int32(v):
        return not isinstance(v, int) or -(2**31) <= v < 2**31

    @checker.checks("int64")
    def int64(v):
        return not isinstance(v, int) or -(2**63) <= v < 2**63

    return checker


def structural(schema):
    """The CRD schema as the API server applies it: no field it does not name, sets unique."""
    if isinstance(schema, dict):
        out = {k: structural(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        if schema.get("x-kubernetes-list-type") == "set":
            out["uniqueItems"] = True
        return out
    if isinstance(schema, list):
        return [structural(v) for v in schema]
    return schema


def validate(doc, schema, errors, resolver=None):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    v = cls(schema, format_checker=format_checker(), resolver=resolver)
    for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        errors.append("/".join(str(p) for p in e.absolute_path) + ": " + e.message)


def check_names(doc, errors):
    """Names, quantities and the security context rules the API server checks beyond the schema."""
    name = doc.get("metadata", {}).get("name", "")
    if not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        errors.append("metadata/name: %r is not a DNS-1123 subdomain" % name)
    spec = doc.get("spec", {})
    for c in spec.get("containers", []):
        if not DNS_LABEL.match(c.get("name", "")) or len(c["name"]) > 63:
            errors.append("container name %r is not a DNS-1123 label" % c.get("name"))
        for kind in ("limits", "requests"):
            for k, q in c.get("resources", {}).get(kind, {}).items():
                if not QUANTITY.match(str(q)):
                    errors.append("resources/%s/%s: %r is not a quantity" % (kind, k, q))
        # The API server's own validation of the security context (pkg/apis/core/validation).
        sc = c.get("securityContext", {})
        for field in ("seccompProfile", "appArmorProfile"):
            prof = sc.get(field)
            if prof is None:
                continue
            if prof.get("type") not in ("Localhost", "RuntimeDefault", "Unconfined"):
                errors.append("%s/type: %r is not Localhost, RuntimeDefault or Unconfined" % (field, prof.get("type")))
            if (prof.get("type") == "Localhost") != bool(prof.get("localhostProfile")):
                errors.append("%s: localhostProfile is set if and only if type is Localhost" % field)
        if sc.get("allowPrivilegeEscalation") is False and (
            sc.get("privileged") or "SYS_ADMIN" in sc.get("capabilities", {}).get("add", [])
        ):
            errors.append("allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN is refused")
        note = doc.get("metadata", {}).get("annotations", {}).get(
            "container.apparmor.security.beta.kubernetes.io/" + c.get("name", ""))
        field = sc.get("appArmorProfile")
        if note is not None and field is not None and note != "localhost/" + field.get("localhostProfile", ""):
            errors.append("the AppArmor annotation %r and appArmorProfile differ" % note)
    for v in spec.get("volumes", []):
        if not DNS_LABEL.match(v.get("name", "")):
            errors.append("volume name %r is not a DNS-1123 label" % v.get("name"))
        size = v.get("emptyDir", {}).get("sizeLimit")
        if size is not None and not QUANTITY.match(str(size)):
            errors.append("volumes/%s/emptyDir/sizeLimit: %r is not a quantity" % (v["name"], size))


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    mode, obj_path, schema_path = argv[1:]
    errors = []
    text = pathlib.Path(obj_path).read_text()
    doc = yaml.safe_load(text)
    if mode == "crd":
        crd = yaml.safe_load(pathlib.Path(schema_path).read_text())
        group, _, version = doc.get("apiVersion", "").partition("/")
        if group != crd["spec"]["group"] or doc.get("kind") != crd["spec"]["names"]["kind"]:
            errors.append("apiVersion/kind %s %s is not this CRD's" % (doc.get("apiVersion"), doc.get("kind")))
        served = [v for v in crd["spec"]["versions"] if v["name"] == version and v.get("served")]
        if not served:
            errors.append("version %r is not served by the CRD" % version)
        else:
            validate(doc, structural(served[0]["schema"]["openAPIV3Schema"]), errors)
        check_names(doc, errors)
    elif mode == "json":
        validate(doc, json.loads(pathlib.Path(schema_path).read_text()), errors)
        check_names(doc, errors)
    elif mode == "oci-seccomp":
        schema_dir = pathlib.Path(schema_path).resolve()
        schema = json.loads((schema_dir / "config-schema.json").read_text())
        config = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "linux": {"seccomp": doc}}
        resolver = jsonschema.RefResolver(base_uri=schema_dir.as_uri() + "/", referrer=schema)
        validate(config, schema, errors, resolver)
    else:
        sys.stderr.write(__doc__)
        return 2
    for e in errors:
        sys.stderr.write("%s: %s\n" % (obj_path, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
