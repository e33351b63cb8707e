"""The Outposts responder: one Outpost, its local gateway and COIP pool, as AWS would answer.

moto implements neither the Outposts API nor EC2's local-gateway actions. This WSGI
middleware sits in front of moto's server and answers them for one Outpost (the one a vars
file names): ``outposts:ListOutposts`` and ``GetOutpost``; EC2's ``DescribeLocalGateways``,
``DescribeLocalGatewayRouteTables``, ``DescribeCoipPools``, and the route-table VPC
associations (create, describe, delete), which it keeps. Every other request goes to moto
unchanged.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


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
            "LifeCycleStatus": "ACTIVE",
            "AvailabilityZone": self.availability_zone,
            "AvailabilityZoneId": self.availability_zone_id,
            "SupportedHardwareType": "RACK",
            "Tags": {},
        }


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
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(2) if scope else ""
        if service == "outposts":
            return self._outposts(environ, start_response)
        if service == "ec2" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            # moto reads the body again: hand it an unread copy.
            environ["wsgi.input"] = io.BytesIO(body)
            params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
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

    def _outposts(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """``GET /outposts`` (ListOutposts) and ``GET /outposts/{id or ARN}`` (GetOutpost)."""
        path = unquote(environ.get("PATH_INFO", "")).rstrip("/")
        outpost = self.outpost.outposts_json()
        if path == "/outposts":
            body: dict[str, Any] = {"Outposts": [outpost]}
        elif path.removeprefix("/outposts/") in (self.outpost.id, self.outpost.arn):
            body = {"Outpost": outpost}
        else:
            return self._reply(
                start_response,
                "404 Not Found",
                "application/json",
                json.dumps({"Message": f"no outpost at {path}"}).encode(),
                ("x-amzn-ErrorType", "NotFoundException"),
            )
        return self._reply(start_response, "200 OK", "application/json", json.dumps(body).encode())

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
            "<poolCidrSet><item>198.51.100.0/26</item></poolCidrSet>"
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
