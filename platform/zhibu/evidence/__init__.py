"""Evidence (佐证材料): photos and documents attached to deductions, rectification items,
回头看 checks and 销号 (issue 25). :mod:`.checks` tells what a file is from its content,
:mod:`.storage` keeps the bytes, :mod:`.service` the rows and who may see them."""
