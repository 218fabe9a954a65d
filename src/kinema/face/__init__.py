"""The single-image face engine: one portrait in, a talking, blinking, glancing face out.

Flow: ``analyze(image[, ManualPoints])`` -> ``Rig.build(None, analysis)`` (save it:
``rig.to_bytes()``) -> per frame ``Animator.controls_at(t)`` -> ``Renderer(rig, size).render``.

Modules:
    analyze    landmarks (MediaPipe face mesh), person mask, quality report, manual keypoints
    landmarks  the face-mesh index sets everything else names
    rig        Rig: mesh + band, deformation bases, mouth interior, lids, closed lips; npz I/O
    controls   FaceControls (one frame), viseme shapes, emotion presets, limits
    motion     Animator: lip sync with coarticulation, blinks, idle motion, barge-in
    render     Renderer: the allocation-free hot loop
    talk       render_talking_clip: speech -> H.264/AAC mp4
    retarget   a driving video's face -> controls -> frames (act_two / character performance)
    metrics    A/V offset, bilabial closure, fold-over, PSNR (used by tests and benches)
"""
