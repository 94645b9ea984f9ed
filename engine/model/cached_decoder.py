"""The denoiser's transformer decoder with cross-attention keys and values computed once.

Within a window the audio memory is the same at every diffusion step, so its key and value
projections in each decoder layer need computing only once per window instead of once per step.
This module evaluates ``nn.TransformerDecoder`` (post-norm, GELU, eval mode) layer by layer with
those projections cached; the result equals the module's own forward up to float rounding (the
streaming benchmark reports the deviation).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class MemoryCache:
    """Per decoder layer, the cross-attention keys and values (N, heads, S, d_head) of one memory."""

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]
    attend: torch.Tensor | None
    """(T, S) boolean mask, True where a query may attend (the inverse of PyTorch's memory_mask)."""


def _heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(N, L, d) -> (N, heads, L, d / heads)."""
    n, length, d = x.shape
    return x.view(n, length, n_heads, d // n_heads).transpose(1, 2)


def _merge(x: torch.Tensor) -> torch.Tensor:
    """(N, heads, L, d_head) -> (N, L, heads * d_head)."""
    n, heads, length, d_head = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * d_head)


def encode_memory(decoder: nn.TransformerDecoder, memory: torch.Tensor, memory_mask: torch.Tensor | None) -> MemoryCache:
    """Project memory (N, S, d) to every layer's cross-attention keys and values."""
    keys, values = [], []
    for layer in decoder.layers:
        attention = layer.multihead_attn
        d = attention.embed_dim
        w_k, w_v = attention.in_proj_weight[d : 2 * d], attention.in_proj_weight[2 * d :]
        b_k, b_v = attention.in_proj_bias[d : 2 * d], attention.in_proj_bias[2 * d :]
        keys.append(_heads(F.linear(memory, w_k, b_k), attention.num_heads))
        values.append(_heads(F.linear(memory, w_v, b_v), attention.num_heads))
    return MemoryCache(tuple(keys), tuple(values), None if memory_mask is None else ~memory_mask)


def _self_attention(attention: nn.MultiheadAttention, x: torch.Tensor) -> torch.Tensor:
    q, k, v = F.linear(x, attention.in_proj_weight, attention.in_proj_bias).chunk(3, dim=-1)
    heads = attention.num_heads
    out = F.scaled_dot_product_attention(_heads(q, heads), _heads(k, heads), _heads(v, heads))
    return attention.out_proj(_merge(out))


def _cross_attention(attention: nn.MultiheadAttention, x: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                     attend: torch.Tensor | None) -> torch.Tensor:
    d = attention.embed_dim
    q = F.linear(x, attention.in_proj_weight[:d], attention.in_proj_bias[:d])
    out = F.scaled_dot_product_attention(_heads(q, attention.num_heads), key, value, attn_mask=attend)
    return attention.out_proj(_merge(out))


def decode(decoder: nn.TransformerDecoder, tokens: torch.Tensor, cache: MemoryCache) -> torch.Tensor:
    """``decoder(tokens, memory, memory_mask=...)`` for the memory behind ``cache``; tokens (N, T, d)."""
    x = tokens
    for layer, key, value in zip(decoder.layers, cache.keys, cache.values):
        x = layer.norm1(x + _self_attention(layer.self_attn, x))
        x = layer.norm2(x + _cross_attention(layer.multihead_attn, x, key, value, cache.attend))
        x = layer.norm3(x + layer.linear2(F.gelu(layer.linear1(x))))
    return x if decoder.norm is None else decoder.norm(x)
