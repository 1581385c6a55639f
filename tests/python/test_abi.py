# tests/python/test_abi.py: the ctypes structs have the C structs' sizes and field offsets
"""A C program built against include/ prints sizeof and offsetof for every field the
ctypes mirror declares; a field in the wrong place would pass garbage to the library."""
import os
import subprocess
import tempfile
import unittest

from sconv import _lib

STRUCTS = {'sc_conv_params': _lib.Params, 'sc_wdesc': _lib.WDesc, 'sc_tensor': _lib.Tensor,
           'sc_activation': _lib.Activation, 'sc_conv_options': _lib.ConvOptions,
           'sc_conv_choice': _lib.ConvChoice, 'sc_pack_options': _lib.PackOptions,
           'sc_layer_info': _lib.LayerInfo, 'sc_prune_spec': _lib.PruneSpec}


class TestAbi(unittest.TestCase):
    def test_layouts_match_the_headers(self):
        lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "sconv.h"',
                 'int main(void) {']
        want = []
        for cname, cls in STRUCTS.items():
            lines.append(f'printf("%zu\\n", sizeof({cname}));')
            want.append(('sizeof', cname, _lib.ctypes.sizeof(cls)))
            for field, _ in cls._fields_:
                lines.append(f'printf("%zu\\n", offsetof({cname}, {field}));')
                want.append((cname, field, getattr(cls, field).offset))
        lines += ['return 0; }']
        inc = os.path.join(os.environ['SCONV_SOURCE'], 'include')
        with tempfile.TemporaryDirectory(dir=os.environ['SCONV_TMP']) as tmp:
            c, exe = os.path.join(tmp, 'abi.c'), os.path.join(tmp, 'abi')
            with open(c, 'w') as f:
                f.write('\n'.join(lines))
            cc = os.environ.get('CC', 'cc').split()
            subprocess.run(cc + ['-std=c11', '-I', inc, c, '-o', exe], check=True)
            got = subprocess.run([exe], check=True, capture_output=True, text=True).stdout.split()
        self.assertEqual(len(got), len(want))
        for (a, b, value), text in zip(want, got):
            self.assertEqual(int(text), value, f'{a} {b}: C says {text}, ctypes {value}')


if __name__ == '__main__':
    unittest.main()
