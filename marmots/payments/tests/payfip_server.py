"""A PayFiP web service on loopback for the tests: a real HTTP server answering the SOAP calls
eopayment's payfip_ws backend makes (through zeep), like the `smtp_server` fixture does for
e-mail. The test decides each payment's result, as the family would at the DGFiP's page."""

import datetime
import itertools
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

TNS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>{}</S:Body>'
    "</S:Envelope>"
)
IN_PROGRESS = (
    "<S:Fault><faultcode>S:Server</faultcode>"
    "<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur</faultstring>"
    f'<detail><ns2:FonctionnelleErreur xmlns:ns2="{TNS}"><code>P5</code>'
    "<descriptif>Paiement en cours</descriptif><libelle>P5</libelle><severite>2</severite>"
    "</ns2:FonctionnelleErreur></detail></S:Fault>"
)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


class PayFiPServer:
    """`created[idop]`: what creerPaiementSecurise received; `results[idop]`: the result to
    give (resultrans "P" paid, "R" refused, "A" cancelled; absent: still in progress), and
    `amounts[idop]` overrides the amount PayFiP reports (cents)."""

    def __init__(self):
        self.created, self.results, self.amounts = {}, {}, {}
        self._ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = server.answer(ET.fromstring(body))
                data = ENVELOPE.format(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tpa/services/securite"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, envelope):
        body = next(e for e in envelope.iter() if _local(e.tag) == "Body")
        operation = _local(body[0].tag)
        fields = {_local(e.tag): e.text or "" for e in body[0].iter() if len(e) == 0}
        if operation == "creerPaiementSecurise":
            idop = f"idop{next(self._ids):012d}"
            self.created[idop] = fields
            return 200, self._response(operation, {"idOp": idop})
        idop = fields["idOp"]
        if idop not in self.results:
            return 500, IN_PROGRESS
        asked = self.created[idop]
        now = datetime.datetime.now(ZoneInfo("Europe/Paris")) - datetime.timedelta(minutes=5)
        details = {
            "dattrans": now.strftime("%d%m%Y"),
            "exer": asked["exer"],
            "heurtrans": now.strftime("%H%M"),
            "idOp": idop,
            "mel": asked["mel"],
            "montant": self.amounts.get(idop, asked["montant"]),
            "numauto": "112233" if self.results[idop] == "P" else "",
            "numcli": asked["numcli"],
            "objet": asked.get("objet", ""),
            "refdet": asked["refdet"],
            "resultrans": self.results[idop],
            "saisie": asked["saisie"],
        }
        return 200, self._response(operation, details)

    @staticmethod
    def _response(operation, values):
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items())
        name = f"ns2:{operation}Response"
        return f'<{name} xmlns:ns2="{TNS}"><return>{inner}</return></{name}>'

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
