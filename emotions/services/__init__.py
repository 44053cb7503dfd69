"""The emotions app's services: the code that writes, one module per thing it changes.

- episodes: keep an upload as an Episode (spooled, hashed, probed), delete one
- cast: the shipped cast synced from cascades/, characters added with their own cascade
- runs: start a run over an episode, resume a stuck one, finish one (publish, summarise)
- ranges: claim, segment, picture, write or fail one frame range (the workers' unit of work)
- summaries: the per-episode emotion summaries a finished run writes
- classifier: the emotion CNN loaded once per process, classifying images
- similar: stored faces alike a drawing
- references: ZIPs of chosen frames and crops for animators
- teaching: characters taught on the site, training their versions, accepting one, finding it everywhere
- examples: a taught character's example faces (cut from frames, or uploaded images and ZIPs)
- training: one training of a character's cascade, with its preview (the task's service)
- dispatch: queueing work for the workers (by task name: services never import tasks)
- storage: media storage and checksums shared by the others
"""
