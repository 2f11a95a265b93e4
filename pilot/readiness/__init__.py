"""Step 6: is the pilot ready, for which stage, and why not.

Tables owned: none yet; reads every earlier step's tables by name only.

Public: `steps` (the pilot's steps as a checklist for Home).
"""
