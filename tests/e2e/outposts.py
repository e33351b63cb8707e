"""The Outposts responder: one Outpost, its local gateway and COIP pool, as AWS would answer.

moto implements neither the Outposts API nor EC2's local-gateway actions. This WSGI
middleware sits in front of moto's server and answers them for one Outpost (the one a vars
file names): ``outposts:ListOutposts``, ``GetOutpost`` and ``GetOutpostInstanceTypes``; EC2's
``DescribeLocalGateways``, ``DescribeLocalGatewayRouteTables``, ``DescribeCoipPools``,
``GetCoipPoolUsage``, and the route-table VPC associations (create, describe, delete), which
it keeps, with their tags: ``CreateTags`` and ``DeleteTags`` of association ids change the
association's tags (AWS's rules: ``DeleteTags`` without tags deletes them all, a tag given
with a value only while it has that value), the request's other ids going on to moto in a
request of their own (the associations change only once moto took it, so a request moto
refuses changes nothing); ``DescribeTags`` adds the associations' tags that its filters
(``resource-id``, ``resource-type``, ``key``, ``value``, ``tag:<key>``; exact values, no
wildcards) select to moto's answer. It also answers the Service Quotas values moto lacks
(``GetServiceQuota`` of the quotas it holds, ``GetAWSDefaultServiceQuota``). Every other
request goes to moto unchanged.

What makes an account good or broken for ``scripts/preflight`` is settable from a test:
``GET /_outposts/state`` reads it and ``POST /_outposts/state`` (a JSON object of the fields
of :data:`SETTABLE`) changes it: the Outpost's lifecycle status, the instance types it
offers, how many addresses of its CoIP pool are in use, and the applied quota values.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode
from xml.sax.saxutils import escape

from . import state_endpoint
from .state_endpoint import WsgiApp, serve_state

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
#: The EC2 resource type of the associations, as DescribeTags names it.
ASSOCIATION_TYPE = "local-gateway-route-table-vpc-association"
STATE_PATH = "/_outposts/state"
#: The fields of :class:`Outpost` a test may set through ``POST /_outposts/state``.
SETTABLE = ("life_cycle_status", "instance_types", "coip_used", "quotas")
_SIZES = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "12xlarge": 48, "24xlarge": 96}
#: What the emulated Outpost offers unless a test says otherwise: the sample's families.
DEFAULT_INSTANCE_TYPES = tuple(
    f"{family}.{size}" for family in ("m5", "c5", "r5") for size in _SIZES
)
#: Quota values moto does not hold (its Service Quotas knows only ``vpc``), with AWS's
#: defaults: EC2-VPC Elastic IPs, 5 per Region
#: (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
DEFAULT_QUOTAS: dict[str, dict[str, float]] = {"ec2": {"L-0263D0A3": 5.0}}


@dataclass
class Association:
    """A local-gateway route table's association with a VPC."""

    id: str
    vpc_id: str
    state: str
    tags: dict[str, str]


@dataclass
class Outpost:
    """One Outpost and the local-gateway objects that belong to it."""

    arn: str
    local_gateway_id: str
    availability_zone: str
    availability_zone_id: str
    associations: dict[str, Association] = field(default_factory=dict)
    life_cycle_status: str = "ACTIVE"
    instance_types: list[str] = field(default_factory=lambda: list(DEFAULT_INSTANCE_TYPES))
    coip_cidrs: list[str] = field(default_factory=lambda: ["198.51.100.0/26"])
    coip_used: int = 0
    """Addresses of the CoIP pool in use (by other accounts' or services' allocations)."""
    quotas: dict[str, dict[str, float]] = field(default_factory=dict)
    """Applied Service Quotas values, by service code and quota code; the rest goes to moto."""

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def owner_id(self) -> str:
        return self.arn.split(":")[4]

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def suffix(self) -> str:
        return self.id.removeprefix("op-")

    @property
    def route_table_id(self) -> str:
        return f"lgw-rtb-{self.suffix}"

    @property
    def route_table_arn(self) -> str:
        table = f"local-gateway-route-table/{self.route_table_id}"
        return f"arn:aws:ec2:{self.region}:{self.owner_id}:{table}"

    @property
    def coip_pool_id(self) -> str:
        return f"ipv4pool-coip-{self.suffix}"

    def outposts_json(self) -> dict[str, Any]:
        return {
            "OutpostId": self.id,
            "OutpostArn": self.arn,
            "OwnerId": self.owner_id,
            "SiteId": f"os-{self.suffix}",
            "SiteArn": f"arn:aws:outposts:{self.region}:{self.owner_id}:site/os-{self.suffix}",
            "Name": "emulated-outpost",
            "Description": "",
            "LifeCycleStatus": self.life_cycle_status,
            "AvailabilityZone": self.availability_zone,
            "AvailabilityZoneId": self.availability_zone_id,
            "SupportedHardwareType": "RACK",
            "Tags": {},
        }

    def state(self) -> dict[str, Any]:
        """What a test may set, and the associations the responder keeps."""
        return {
            "life_cycle_status": self.life_cycle_status,
            "instance_types": list(self.instance_types),
            "coip_used": self.coip_used,
            "quotas": {service: dict(codes) for service, codes in self.quotas.items()},
            "associations": {
                a.id: [a.vpc_id, a.state, dict(a.tags)] for a in self.associations.values()
            },
        }

    def update(self, changes: Mapping[str, Any]) -> None:
        unknown = set(changes) - set(SETTABLE)
        if unknown:
            raise ValueError(f"not settable: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(self, name, value)

    def coip_addresses(self) -> list[str]:
        return [str(a) for cidr in self.coip_cidrs for a in ipaddress.ip_network(cidr)]


def read_state(endpoint: str) -> dict[str, Any]:
    """The settable state of the emulator's Outpost (``GET /_outposts/state``)."""
    return state_endpoint.read_state(endpoint, STATE_PATH)


def update_state(endpoint: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set fields of :data:`SETTABLE` on the emulator's Outpost; its state after."""
    return state_endpoint.update_state(endpoint, STATE_PATH, changes)


def _tag_set(tags: Mapping[str, str]) -> str:
    items = "".join(
        f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>" for k, v in tags.items()
    )
    return f"<tagSet>{items}</tagSet>"


def _xml_item(fields: Mapping[str, str], tags: Mapping[str, str] | None = None) -> str:
    body = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    return f"<item>{body}{_tag_set(tags or {})}</item>"


def _indexed(params: Mapping[str, str], prefix: str) -> list[str]:
    """Values of ``Prefix.1``, ``Prefix.2``... in order."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)$")
    found = sorted((int(m.group(1)), v) for k, v in params.items() if (m := pattern.match(k)))
    return [value for _, value in found]


def _filters(params: Mapping[str, str]) -> dict[str, list[str]]:
    """``Filter.N.Name`` -> its ``Filter.N.Value.M`` values."""
    out: dict[str, list[str]] = {}
    n = 1
    while f"Filter.{n}.Name" in params:
        out[params[f"Filter.{n}.Name"]] = _indexed(params, f"Filter.{n}.Value")
        n += 1
    return out


def _tags(params: Mapping[str, str], prefix: str) -> dict[str, str]:
    """``PREFIX.N.Key`` -> ``PREFIX.N.Value``."""
    out: dict[str, str] = {}
    n = 1
    while f"{prefix}.{n}.Key" in params:
        out[params[f"{prefix}.{n}.Key"]] = params.get(f"{prefix}.{n}.Value", "")
        n += 1
    return out


def _matches(
    item: Mapping[str, str], ids: list[str], id_key: str, params: Mapping[str, str]
) -> bool:
    if ids and item[id_key] not in ids:
        return False
    for name, values in _filters(params).items():
        # Filters the provider does not send (tags and the like) are not emulated.
        if name not in item:
            continue
        if values and item[name] not in values:
            return False
    return True


class OutpostsResponder:
    """WSGI middleware answering the Outposts calls moto lacks, for ``outpost``."""

    def __init__(self, app: WsgiApp, outpost: Outpost) -> None:
        self.app = app
        self.outpost = outpost

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == STATE_PATH:
            return self._state(environ, start_response)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(2) if scope else ""
        if service == "outposts":
            return self._outposts(environ, start_response)
        if service == "servicequotas":
            answer = self._service_quotas(environ)
            if answer is not None:
                status, body, error = answer
                headers = [("x-amzn-ErrorType", error)] if error else []
                return self._reply(
                    start_response, status, "application/x-amz-json-1.1", body, *headers
                )
        if service == "ec2" and environ.get("REQUEST_METHOD") == "POST":
            body = self._body(environ)
            params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            if params.get("Action") in ("CreateTags", "DeleteTags"):
                return self._tag(params, environ, start_response)
            if params.get("Action") == "DescribeTags":
                return self._describe_tags(params, environ, start_response)
            handler = getattr(self, f"_ec2_{params.get('Action', '')}", None)
            if handler is not None:
                status, xml = handler(params)
                return self._reply(start_response, status, "text/xml", xml.encode())
        return self.app(environ, start_response)

    @staticmethod
    def _reply(
        start_response: Callable[..., Any],
        status: str,
        content_type: str,
        body: bytes,
        *headers: tuple[str, str],
    ) -> list[bytes]:
        start_response(
            status,
            [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers],
        )
        return [body]

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = environ["wsgi.input"].read(length) if length else b""
        # Whoever handles the request next reads the body again: hand it an unread copy.
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _forward(
        self, environ: dict[str, Any], params: Mapping[str, str]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """moto's answer to the EC2 request of ``params``: (status, headers, body)."""
        body = urlencode(params).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            answer[:] = [status, headers]

        chunks = b"".join(self.app(environ, start_response))
        return answer[0], answer[1], chunks

    def _reply_forwarded(
        self,
        start_response: Callable[..., Any],
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> list[bytes]:
        kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*kept, ("Content-Length", str(len(body)))])
        return [body]

    def _tag(
        self, params: Mapping[str, str], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """``CreateTags`` or ``DeleteTags``: the associations' tags here, the rest by moto."""
        action = params["Action"]
        ids = _indexed(params, "ResourceId")
        ours = [self.outpost.associations[i] for i in ids if i in self.outpost.associations]
        if not ours:
            return self.app(environ, start_response)
        if params.get("DryRun") == "true":
            status, xml = self._ec2_error(
                "DryRunOperation", "Request would have succeeded, but DryRun flag is set."
            )
            return self._reply(start_response, status, "text/xml", xml.encode())
        others = [i for i in ids if i not in self.outpost.associations]
        if others:
            rest = {k: v for k, v in params.items() if not k.startswith("ResourceId.")}
            rest.update({f"ResourceId.{n}": i for n, i in enumerate(others, 1)})
            status, headers, body = self._forward(environ, rest)
            if not status.startswith("200"):
                return self._reply_forwarded(start_response, status, headers, body)
        else:
            status, xml = self._ec2_response(action, "<return>true</return>")
            headers, body = [("Content-Type", "text/xml")], xml.encode()
        n, given = 1, []
        while f"Tag.{n}.Key" in params:
            given.append((params[f"Tag.{n}.Key"], params.get(f"Tag.{n}.Value")))
            n += 1
        for association in ours:
            if action == "CreateTags":
                association.tags.update({key: value or "" for key, value in given})
            elif not given:
                association.tags.clear()
            else:
                for key, value in given:
                    if key in association.tags and value in (None, association.tags[key]):
                        del association.tags[key]
        return self._reply_forwarded(start_response, status, headers, body)

    def _describe_tags(
        self, params: Mapping[str, str], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """``DescribeTags``: moto's answer, with the associations' tags the filters select
        (without paging: they come on the page asked for)."""
        filters = _filters(params)
        items = "".join(
            _xml_item(
                {"resourceId": a.id, "resourceType": ASSOCIATION_TYPE, "key": key, "value": value}
            ).replace(_tag_set({}), "")
            for a in self.outpost.associations.values()
            for key, value in a.tags.items()
            if _matches(
                {
                    "resource-id": a.id,
                    "resource-type": ASSOCIATION_TYPE,
                    "key": key,
                    "value": value,
                },
                [],
                "resource-id",
                params,
            )
            and all(
                a.tags.get(name[4:]) in values
                for name, values in filters.items()
                if name.startswith("tag:")
            )
        )
        if not items:
            return self.app(environ, start_response)
        status, headers, body = self._forward(environ, params)
        if status.startswith("200"):
            text = body.decode()
            if "</tagSet>" in text:
                text = text.replace("</tagSet>", f"{items}</tagSet>", 1)
            else:
                text = re.sub(r"<tagSet\s*/>", f"<tagSet>{items}</tagSet>", text, count=1)
            body = text.encode()
        return self._reply_forwarded(start_response, status, headers, body)

    def _state(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """``GET`` or ``POST /_outposts/state``: the test's handle on the Outpost."""
        return serve_state(environ, start_response, self.outpost.state, self.outpost.update)

    def _outposts(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """``GET /outposts`` (ListOutposts), ``GET /outposts/{id or ARN}`` (GetOutpost) and
        ``GET /outposts/{id or ARN}/instanceTypes`` (GetOutpostInstanceTypes)."""
        path = unquote(environ.get("PATH_INFO", "")).rstrip("/")
        outpost = self.outpost.outposts_json()
        names = (self.outpost.id, self.outpost.arn)
        if path == "/outposts":
            body: dict[str, Any] = {"Outposts": [outpost]}
        elif path.removeprefix("/outposts/") in names:
            body = {"Outpost": outpost}
        elif path.endswith("/instanceTypes") and path[10:-14] in names:
            body = {
                "InstanceTypes": [
                    {"InstanceType": t, "VCPUs": _SIZES.get(t.partition(".")[2], 2)}
                    for t in self.outpost.instance_types
                ],
                "OutpostId": self.outpost.id,
                "OutpostArn": self.outpost.arn,
            }
        else:
            return self._reply(
                start_response,
                "404 Not Found",
                "application/json",
                json.dumps({"Message": f"no outpost at {path}"}).encode(),
                ("x-amzn-ErrorType", "NotFoundException"),
            )
        return self._reply(start_response, "200 OK", "application/json", json.dumps(body).encode())

    def _service_quotas(self, environ: dict[str, Any]) -> tuple[str, bytes, str] | None:
        """``GetServiceQuota`` of a quota a test set, and ``GetAWSDefaultServiceQuota``:
        (status, body, error type), or None for moto to answer."""
        action = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if action not in ("GetServiceQuota", "GetAWSDefaultServiceQuota"):
            return None
        params = json.loads(self._body(environ) or b"{}")
        service, code = str(params.get("ServiceCode")), str(params.get("QuotaCode"))
        if action == "GetServiceQuota":
            value = self.outpost.quotas.get(service, {}).get(code)
            if value is None:
                return None
        else:
            value = DEFAULT_QUOTAS.get(service, {}).get(code)
            if value is None and service == "vpc":
                from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS

                value = next(
                    (float(str(q["Value"])) for q in VPC_DEFAULT_QUOTAS if q["QuotaCode"] == code),
                    None,
                )
            if value is None:
                body = {"__type": "NoSuchResourceException", "Message": f"no quota {code}"}
                return "400 Bad Request", json.dumps(body).encode(), "NoSuchResourceException"
        quota = {
            "ServiceCode": service,
            "QuotaCode": code,
            "QuotaArn": f"arn:aws:servicequotas:{self.outpost.region}::{service}/{code}",
            "Value": float(value),
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }
        return "200 OK", json.dumps({"Quota": quota}).encode(), ""

    # EC2 actions: each returns (HTTP status, XML body).

    def _ec2_response(self, action: str, inner: str) -> tuple[str, str]:
        request_id = str(uuid.uuid4())
        return (
            "200 OK",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{_EC2_NS}">'
            f"<requestId>{request_id}</requestId>{inner}</{action}Response>",
        )

    def _describe_one(
        self,
        action: str,
        set_name: str,
        item_xml: str,
        keys: Mapping[str, str],
        id_param: str,
        params: Mapping[str, str],
    ) -> tuple[str, str]:
        """A Describe call of the Outpost's one resource: it, if the ids and filters match."""
        hit = _matches(keys, _indexed(params, id_param), "id", params)
        return self._ec2_response(action, f"<{set_name}>{item_xml if hit else ''}</{set_name}>")

    def _ec2_DescribeLocalGateways(self, params: Mapping[str, str]) -> tuple[str, str]:
        op = self.outpost
        item = {
            "localGatewayId": op.local_gateway_id,
            "outpostArn": op.arn,
            "ownerId": op.owner_id,
            "state": "available",
        }
        keys = {
            "id": op.local_gateway_id,
            "local-gateway-id": op.local_gateway_id,
            "outpost-arn": op.arn,
            "state": "available",
        }
        return self._describe_one(
            "DescribeLocalGateways",
            "localGatewaySet",
            _xml_item(item),
            keys,
            "LocalGatewayId",
            params,
        )

    def _ec2_DescribeLocalGatewayRouteTables(self, params: Mapping[str, str]) -> tuple[str, str]:
        op = self.outpost
        item = {
            "localGatewayRouteTableId": op.route_table_id,
            "localGatewayRouteTableArn": op.route_table_arn,
            "localGatewayId": op.local_gateway_id,
            "outpostArn": op.arn,
            "ownerId": op.owner_id,
            "state": "available",
            "mode": "coip",
        }
        keys = {
            "id": op.route_table_id,
            "local-gateway-route-table-id": op.route_table_id,
            "local-gateway-id": op.local_gateway_id,
            "outpost-arn": op.arn,
            "state": "available",
        }
        return self._describe_one(
            "DescribeLocalGatewayRouteTables",
            "localGatewayRouteTableSet",
            _xml_item(item),
            keys,
            "LocalGatewayRouteTableId",
            params,
        )

    def _ec2_DescribeCoipPools(self, params: Mapping[str, str]) -> tuple[str, str]:
        op = self.outpost
        item_xml = (
            f"<item><poolId>{op.coip_pool_id}</poolId>"
            f"<poolCidrSet>{''.join(f'<item>{c}</item>' for c in op.coip_cidrs)}</poolCidrSet>"
            f"<localGatewayRouteTableId>{op.route_table_id}</localGatewayRouteTableId>"
            f"<poolArn>arn:aws:ec2:{op.region}:{op.owner_id}:coip-pool/{op.coip_pool_id}"
            f"</poolArn>{_tag_set({})}</item>"
        )
        keys = {
            "id": op.coip_pool_id,
            "coip-pool.pool-id": op.coip_pool_id,
            "coip-pool.local-gateway-route-table-id": op.route_table_id,
        }
        return self._describe_one(
            "DescribeCoipPools", "coipPoolSet", item_xml, keys, "PoolId", params
        )

    def _ec2_GetCoipPoolUsage(self, params: Mapping[str, str]) -> tuple[str, str]:
        op = self.outpost
        if params.get("PoolId") != op.coip_pool_id:
            return self._ec2_error(
                "InvalidCoipPoolId.NotFound",
                f"The CoIP pool ID '{params.get('PoolId')}' does not exist",
            )
        used = op.coip_addresses()[: op.coip_used]
        items = "".join(
            _xml_item(
                {
                    "allocationId": f"eipalloc-{index:017x}",
                    "awsAccountId": op.owner_id,
                    "awsService": "ec2",
                    "coIp": address,
                }
            ).replace(_tag_set({}), "")
            for index, address in enumerate(used)
        )
        return self._ec2_response(
            "GetCoipPoolUsage",
            f"<coipPoolId>{op.coip_pool_id}</coipPoolId>"
            f"<coipAddressUsageSet>{items}</coipAddressUsageSet>"
            f"<localGatewayRouteTableId>{op.route_table_id}</localGatewayRouteTableId>",
        )

    def _association_xml(self, association: Association) -> str:
        op = self.outpost
        return _xml_item(
            {
                "localGatewayRouteTableVpcAssociationId": association.id,
                "localGatewayRouteTableId": op.route_table_id,
                "localGatewayRouteTableArn": op.route_table_arn,
                "localGatewayId": op.local_gateway_id,
                "vpcId": association.vpc_id,
                "ownerId": op.owner_id,
                "state": association.state,
            },
            association.tags,
        )

    def _ec2_CreateLocalGatewayRouteTableVpcAssociation(
        self, params: Mapping[str, str]
    ) -> tuple[str, str]:
        if params.get("LocalGatewayRouteTableId") != self.outpost.route_table_id:
            return self._ec2_error(
                "InvalidLocalGatewayRouteTableID.NotFound",
                f"The local gateway route table ID '{params.get('LocalGatewayRouteTableId')}' "
                "does not exist",
            )
        tags = _tags(params, "TagSpecification.1.Tag")
        association = Association(
            f"lgw-vpc-assoc-{uuid.uuid4().hex[:17]}", params["VpcId"], "associated", tags
        )
        self.outpost.associations[association.id] = association
        inner = self._association_xml(association)[len("<item>") : -len("</item>")]
        return self._ec2_response(
            "CreateLocalGatewayRouteTableVpcAssociation",
            f"<localGatewayRouteTableVpcAssociation>{inner}</localGatewayRouteTableVpcAssociation>",
        )

    def _ec2_DescribeLocalGatewayRouteTableVpcAssociations(
        self, params: Mapping[str, str]
    ) -> tuple[str, str]:
        ids = _indexed(params, "LocalGatewayRouteTableVpcAssociationId")
        items = "".join(
            self._association_xml(a)
            for a in self.outpost.associations.values()
            if _matches(
                {
                    "id": a.id,
                    "local-gateway-route-table-vpc-association-id": a.id,
                    "local-gateway-route-table-id": self.outpost.route_table_id,
                    "local-gateway-id": self.outpost.local_gateway_id,
                    "vpc-id": a.vpc_id,
                    "state": a.state,
                },
                ids,
                "id",
                params,
            )
        )
        return self._ec2_response(
            "DescribeLocalGatewayRouteTableVpcAssociations",
            f"<localGatewayRouteTableVpcAssociationSet>{items}"
            "</localGatewayRouteTableVpcAssociationSet>",
        )

    def _ec2_DeleteLocalGatewayRouteTableVpcAssociation(
        self, params: Mapping[str, str]
    ) -> tuple[str, str]:
        association_id = params.get("LocalGatewayRouteTableVpcAssociationId", "")
        association = self.outpost.associations.get(association_id)
        if association is None or association.state != "associated":
            return self._ec2_error(
                "InvalidLocalGatewayRouteTableVpcAssociationID.NotFound",
                f"The association ID '{association_id}' does not exist",
            )
        # AWS keeps a removed association visible for a while as disassociated.
        association.state = "disassociated"
        inner = self._association_xml(association)[len("<item>") : -len("</item>")]
        return self._ec2_response(
            "DeleteLocalGatewayRouteTableVpcAssociation",
            f"<localGatewayRouteTableVpcAssociation>{inner}</localGatewayRouteTableVpcAssociation>",
        )

    @staticmethod
    def _ec2_error(code: str, message: str) -> tuple[str, str]:
        return (
            "400 Bad Request",
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>",
        )
