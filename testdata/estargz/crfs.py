"""Makes a CRFS-style (original stargz) blob from an eStargz blob made by the reference.

CRFS's writer lays out file contents exactly as eStargz does (a new gzip member at each chunk of a regular file, the
tar headers in the member before), but its TOC has no chunkDigest (only each regular file's whole-file digest), its
TOC member's gzip header carries the extra field "stargz.toc", and its footer is the 47-byte one. So the payload is
kept byte for byte, and only the TOC and the footer are rewritten.

    python3 crfs.py small1-chunk64k-prio.esgz small1-chunk64k-crfs.stargz small1-chunk64k-crfs.json
"""
import gzip
import hashlib
import io
import json
import struct
import sys
import tarfile
import zlib

src, dst, meta = sys.argv[1], sys.argv[2], sys.argv[3]
blob = open(src, 'rb').read()
footer = blob[-51:]
assert footer[12:14] == b'SG' and footer[32:38] == b'STARGZ'
toc_off = int(footer[16:32].decode(), 16)
with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob[toc_off:-51]))) as t:
    toc = json.loads(t.extractfile('stargz.index.json').read())
for e in toc['entries']:
    e.pop('chunkDigest', None)
toc_json = json.dumps(toc, indent='\t', ensure_ascii=False, separators=(',', ': ')).encode()

tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode='w', format=tarfile.USTAR_FORMAT) as t:
    info = tarfile.TarInfo('stargz.index.json')
    info.size = len(toc_json)
    t.addfile(info, io.BytesIO(toc_json))
raw = tar.getvalue()
deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
extra = b'stargz.toc'
member = (bytes([0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 2, 0xff]) + struct.pack('<H', len(extra)) + extra
          + deflate.compress(raw) + deflate.flush() + struct.pack('<II', zlib.crc32(raw), len(raw) & 0xffffffff))
legacy_footer = (bytes([0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 0xff]) + struct.pack('<H', 22)
                 + ('%016xSTARGZ' % toc_off).encode() + bytes([1, 0, 0, 0xff, 0xff]) + bytes(8))
assert len(legacy_footer) == 47
out = blob[:toc_off] + member + legacy_footer
open(dst, 'wb').write(out)
json.dump({'tocDigest': 'sha256:' + hashlib.sha256(toc_json).hexdigest(),
           'blobDigest': 'sha256:' + hashlib.sha256(out).hexdigest(), 'size': len(out)}, open(meta, 'w'))
