"""XML namespaces of Define-XML and the Clark names ("{uri}local") lxml uses for them."""

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF21 = "http://www.cdisc.org/ns/def/v2.1"
DEF20 = "http://www.cdisc.org/ns/def/v2.0"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
ARM = "http://www.cdisc.org/ns/arm/v1.0"

NSMAP_21 = {None: ODM, "def": DEF21, "xlink": XLINK}
NSMAP_21_ARM = {**NSMAP_21, "arm": ARM}


def odm(local: str) -> str:
    return f"{{{ODM}}}{local}"


def xlink(local: str) -> str:
    return f"{{{XLINK}}}{local}"


def arm(local: str) -> str:
    return f"{{{ARM}}}{local}"
