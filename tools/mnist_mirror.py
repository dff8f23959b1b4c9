"""A local MNIST mirror for torchvision, to test the first-use download without internet.

`python tools/mnist_mirror.py COMMAND...` serves the data root's MNIST files on 127.0.0.1 under torchvision's names and
runs COMMAND with torchvision's `MNIST.mirrors` pointed there (through a `sitecustomize` on PYTHONPATH). The shared
files are re-compressed (and the training images are the derived file), so their compressed md5s differ from
torchvision's list: the mirror hands torchvision their own md5s, which torchvision then checks as it checks the
originals."""
import functools, hashlib, http.server, json, os, shutil, subprocess, sys, tempfile, threading
from pathlib import Path

SERVED = {'train-images-idx3-ubyte.gz': 'train-images-idx3-ubyte.APPROX.gz',
          'train-labels-idx1-ubyte.gz': 'train-labels-idx1-ubyte.gz',
          't10k-images-idx3-ubyte.gz': 't10k-images-idx3-ubyte.gz',
          't10k-labels-idx1-ubyte.gz': 't10k-labels-idx1-ubyte.gz'}

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    "Serves a folder without a log line per request, counting the files it sent."
    sent = []
    def log_message(self, *args): pass
    def do_GET(self):
        QuietHandler.sent.append(self.path); super().do_GET()

class QuietServer(http.server.ThreadingHTTPServer):
    "No traceback when a client hangs up early (torchvision reads only the headers of its first request)."
    def handle_error(self, request, client_address): pass

def serve(source:Path, folder:Path):
    "Copy the MNIST files of `source` into `folder` under torchvision's names and serve it: (server, url, resources)."
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in SERVED.items(): shutil.copy(source/src, folder/name)
    server = QuietServer(('127.0.0.1', 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    resources = [(name, hashlib.md5((folder/name).read_bytes()).hexdigest()) for name in SERVED]
    return server, f'http://127.0.0.1:{server.server_port}/', resources

def patch_torchvision(url:str, resources:list):
    "Point torchvision's MNIST at `url`, with `resources` as its (file, md5) list; a no-op without torchvision."
    try: from torchvision.datasets import MNIST
    except ImportError: return  # the pythons that create and fill the virtual environment
    MNIST.mirrors, MNIST.resources = [url], [tuple(r) for r in resources]

if __name__ == '__main__':
    source = Path(os.environ.get('MNIST_MIRROR_SOURCE', Path(os.environ['DISENTANGLE_DATA'])/'mnist'))
    with tempfile.TemporaryDirectory() as tmp:
        server, url, resources = serve(source, Path(tmp)/'served')
        site = Path(tmp)/'site'; site.mkdir()
        (site/'sitecustomize.py').write_text(f'import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n'
                                             'from mnist_mirror import patch_torchvision; '
                                             f'patch_torchvision({url!r}, {json.dumps(resources)})\n')
        env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(site), *filter(None, [os.environ.get('PYTHONPATH')])])}
        print(f'MNIST mirror at {url} (from {source})', flush=True)
        sys.exit(subprocess.run(sys.argv[1:], env=env).returncode)
