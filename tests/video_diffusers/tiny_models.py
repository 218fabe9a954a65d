"""Tiny random LTX-Video and Wan pipelines built from configs, saved like a downloaded model.

Mirrors diffusers' own ``get_dummy_components()``: a one-layer transformer, a causal VAE with
8-channel blocks and a one-layer T5 encoder over a word-level tokenizer made here, so the
engine's real ``from_pretrained(..., local_files_only=True)`` and inference run in seconds
on a CPU without any download.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel, UMT5EncoderModel

TEXT = "a an the cat dog fox runs walks on beach field at sunset dawn slowly red blue"
WORDS = TEXT.split()  # the vocabulary of the tiny tokenizer


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def _t5_config(vocab_size: int) -> T5Config:
    return T5Config(
        vocab_size=vocab_size,
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=1,
        num_heads=4,
        relative_attention_num_buckets=8,
    )


def save_tiny_ltx(path: Path) -> Path:
    """A tiny LTXPipeline folder (model_index.json + components) at ``path``."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    text_encoder = T5EncoderModel(_t5_config(len(tokenizer)))
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4,
        upsample_factor=(1,) * 4,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    pipe.save_pretrained(path)
    return path


def save_tiny_wan(path: Path, *, ti2v: bool = False) -> Path:
    """A tiny text-to-video WanPipeline folder at ``path`` (UMT5 encoder, Wan VAE).

    ``ti2v`` builds the Wan 2.2 TI2V-5B layout instead: a 16x patchified residual VAE with 48
    latent channels and ``expand_timesteps``, one checkpoint for text- and image-to-video."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    cfg = _t5_config(len(tokenizer)).to_dict()
    text_encoder = UMT5EncoderModel(UMT5Config(**cfg))
    torch.manual_seed(0)
    z = 48 if ti2v else 16
    vae_layout: dict = (
        dict(
            in_channels=12,
            out_channels=12,
            is_residual=True,
            patch_size=2,
            latents_mean=[0.0] * z,
            latents_std=[1.0] * z,
            scale_factor_spatial=16,
        )
        if ti2v
        else {}
    )
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=z,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        **vae_layout,
    )
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=z,
        out_channels=z,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=1,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
        expand_timesteps=ti2v,
    )
    pipe.save_pretrained(path)
    return path
