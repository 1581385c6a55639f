/* src/cli/transpose.c: the transposed-conv parameters of a layer packed as conv_transpose */
#include "cli/cli.h"

void cli_transpose_params(const sc_layer_info *info, sc_conv_transpose_params *tp)
{
    const sc_conv_params *p = &info->params;
    *tp = sc_conv_transpose_params_default();
    tp->stride_h = p->stride_h;
    tp->stride_w = p->stride_w;
    tp->pad_top = p->pad_top;
    tp->pad_left = p->pad_left;
    tp->pad_bottom = p->pad_bottom;
    tp->pad_right = p->pad_right;
    tp->out_pad_h = info->out_pad_h;
    tp->out_pad_w = info->out_pad_w;
    tp->dil_h = p->dil_h;
    tp->dil_w = p->dil_w;
    tp->groups = p->groups;
}
