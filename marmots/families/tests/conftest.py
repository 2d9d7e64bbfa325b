import pytest

from tests import factories as f

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.fixture
def insurance(structure):
    return f.DocumentTypeFactory(
        structure=structure, code="assurance", name="Attestation d'assurance", validity_months=12
    )


@pytest.fixture
def vaccinations(structure):
    return f.DocumentTypeFactory(
        structure=structure, code="vaccins", name="Vaccinations", per_child=True
    )
